/**
 * One engine's spec run (spawned by scripts/spec-suite.mjs under each Node):
 *
 *   node scripts/spec/run.mjs <wast dir> <out.json>
 *
 * Converts each top-level .wast with wast2json (Debian's wabt), runs it plain
 * and instrumented on this engine, and writes per-file counts to out.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ftrace, instrument, TraceArray } from '../../dist/index.js';
import { runSpecFile } from './runner.mjs';

const [wastDir, out] = process.argv.slice(2);
if (!wastDir || !out) throw new Error('usage: run.mjs <wast dir> <out.json>');

const plain = {
  compile: (bytes) => new WebAssembly.Module(bytes),
  instantiate: (module, imports) => new WebAssembly.Instance(module, imports),
  call: (fn) => fn(),
};

/** Every module instrumented with exit hooks, run under function_graph with tracing on. */
function instrumented() {
  const tr = new TraceArray({ tracer: 'function_graph', clock: 'counter', bufferKb: 64 });
  return {
    compile: (bytes) => new WebAssembly.Module(instrument(bytes, { exitHooks: true }).binary),
    instantiate: (module, imports) => {
      const traced = tr.addInstance(Ftrace.forModule(module));
      // Only the ftrace imports come from the trace array: the test's own imports stay as they are.
      const instance = new WebAssembly.Instance(module, { ...imports, ftrace: tr.importsFor(traced, {}).ftrace });
      tr.attach(traced, instance);
      return instance;
    },
    call: (fn) => fn(),
  };
}

const files = readdirSync(wastDir)
  .filter((f) => f.endsWith('.wast') && !f.endsWith('.fail.wast'))
  .sort();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-spec-run-'));
const report = { node: process.version, files: [] };
try {
  for (const f of files) {
    const name = f.replace(/\.wast$/, '');
    const json = path.join(tmp, name, `${name}.json`);
    mkdirSync(path.dirname(json));
    const conv = spawnSync('wast2json', ['--enable-all', path.join(wastDir, f), '-o', json], { encoding: 'utf8' });
    if (conv.status !== 0) {
      report.files.push({ file: f, converted: false, error: conv.stderr.split('\n')[0] });
      continue;
    }
    const a = await runSpecFile(json, plain);
    const b = await runSpecFile(json, instrumented());
    const counted = a.filter((r, i) => !r.skipped && !b[i].skipped);
    const idx = a.map((r, i) => i).filter((i) => !a[i].skipped && !b[i].skipped);
    const regressions = idx.filter((i) => a[i].ok && !b[i].ok).map((i) => `${a[i].type}@${a[i].line}`);
    report.files.push({
      file: f,
      converted: true,
      assertions: counted.length,
      skipped: a.length - counted.length,
      passPlain: idx.filter((i) => a[i].ok).length,
      passInstrumented: idx.filter((i) => b[i].ok).length,
      regressions,
    });
    rmSync(path.join(tmp, name), { recursive: true, force: true });
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
writeFileSync(out, `${JSON.stringify(report, null, 1)}\n`);
