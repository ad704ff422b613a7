#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/cli/main.js and returns its exit code.

// node:wasi prints an ExperimentalWarning when loaded; it is noise for users of
// a tracer. Replace the default printer before anything loads it.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'ExperimentalWarning') process.stderr.write(`${w.name}: ${w.message}\n`);
});

// `wasm-ftrace replay | head` closes the pipe early: that is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

// Node 22.1+ keeps V8's compiled code of our modules between runs: start-up
// then costs little more than node's own. Node 20 has no such cache.
const nodeModule = await import('node:module');
nodeModule.enableCompileCache?.();

const { main } = await import('../dist/cli/main.js');
const { writeAllSync } = await import('../dist/cli/io.js');
process.exitCode = await main(process.argv.slice(2), {
  // blocking, so that a slow reader holds back a streamed output instead of it queueing in memory
  stdout: (s) => {
    try {
      writeAllSync(1, s);
    } catch (e) {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    }
  },
  stderr: (s) => process.stderr.write(s),
  isTTY: process.stderr.isTTY,
});
