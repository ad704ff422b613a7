#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/cli/main.js and returns its exit code.

// node:wasi prints an ExperimentalWarning when loaded; it is noise for users of
// a tracer. Replace the default printer before anything loads it.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'ExperimentalWarning') process.stderr.write(`${w.name}: ${w.message}\n`);
});

const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  isTTY: process.stderr.isTTY,
});
