#!/usr/bin/env node
/**
 * Hook overhead: how much slower a workload runs under each way of tracing
 * it, against the uninstrumented module, the empty-import floor and
 * binaryen's --log-execution. The runner is src/bench/ (dist/bench/ once
 * built); this script picks the workloads and writes the results.
 *
 *   node bench/hook-overhead.mjs [--workload fib,c,resvg] [--rounds N] [--n FIB_ARG]
 *                                [--scenarios a,b] [--sample-ms MS] [--warmup N] [--warmup-ms MS] [--quick] [--no-native]
 *
 * Workloads:
 *   fib    fib(N) in WAT: tiny recursive functions, the worst case for a per-entry hook
 *   c      wasm-fixtures/build/workload.wasm, clang: run(1) sorts (comparator through a
 *          function pointer), hashes and runs a bytecode interpreter
 *   resvg  @resvg/resvg-wasm 2.6.2 (Rust, wasm-bindgen, 2.48 MB): renders a small SVG to
 *          PNG through the package's own glue. Fetched with `npm pack` into
 *          bench/results/tmp/modules (cached); skipped with a note when the registry
 *          cannot be reached.
 *
 * With the c workload it also measures the native peer (src/bench/native-peer.ts:
 * uftrace record of workload.c built with clang -O2 -pg, ns per call); --no-native skips it.
 *
 * Writes bench/results/hook-overhead.{md,json,svg}; --quick (seconds: fib(20) and
 * the C workload, 3 rounds) writes to bench/results/tmp/ instead.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, packedPackage } from './lib/modules.mjs';

process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'ExperimentalWarning') console.warn(`${w.name}: ${w.message}`);
});

const { runBench } = await import('../dist/bench/hook-overhead.js');
const { fibWorkload } = await import('../dist/bench/build.js');
const { RESVG_SVG } = await import('../dist/bench/workloads.js');
const { formatMarkdown, formatJson, renderSvg, formatWorkloadTable, formatTargetsTable, formatNativePeer } = await import('../dist/bench/report.js');
const { measureNativePeer } = await import('../dist/bench/native-peer.js');
const { evaluateTargets } = await import('../dist/bench/targets.js');

const argv = process.argv.slice(2);
const opt = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = argv.includes('--quick');
const rounds = Number(opt('--rounds') ?? (quick ? 3 : 15));
const n = Number(opt('--n') ?? (quick ? 20 : 25));
const ids = (opt('--workload') ?? (quick ? 'fib,c' : 'fib,c,resvg')).split(',');
const scenarios = opt('--scenarios')?.split(',');
const sampleMs = Number(opt('--sample-ms') ?? (quick ? 1 : 5));
const warmup = Number(opt('--warmup') ?? (quick ? 2 : 3));
const warmupMs = Number(opt('--warmup-ms') ?? (quick ? 150 : 1000));

const workloads = [];
const skipped = [];
for (const id of ids) {
  if (id === 'fib') workloads.push(fibWorkload(n));
  else if (id === 'c') {
    workloads.push({
      kind: 'wasm',
      id: 'c',
      label: 'workload.c (clang): run(1), a sort, a hash and an interpreter',
      bytes: new Uint8Array(readFileSync(join(ROOT, 'wasm-fixtures/build/workload.wasm'))),
      invoke: 'run',
      args: [1],
      never: 'main',
    });
  } else if (id === 'resvg') {
    const label = 'resvg (@resvg/resvg-wasm 2.6.2, Rust, wasm-bindgen): render a 96x96 SVG to PNG';
    process.stderr.write('resvg: npm pack @resvg/resvg-wasm@2.6.2 (cached)\n');
    const got = packedPackage('@resvg/resvg-wasm@2.6.2', 'resvg-wasm-2.6.2-package');
    if (got.error) {
      process.stderr.write(`skipping resvg: ${got.error}\n`);
      skipped.push({ id, label, reason: got.error });
      continue;
    }
    workloads.push({
      kind: 'wasm-bindgen',
      id: 'resvg',
      label,
      bytes: new Uint8Array(readFileSync(join(got.dir, 'index_bg.wasm'))),
      glue: pathToFileURL(join(got.dir, 'index.mjs')).href,
      task: 'resvg-render',
      svg: RESVG_SVG,
    });
  } else throw new Error(`unknown workload '${id}' (fib, c, resvg)`);
}

const command = `node bench/hook-overhead.mjs ${argv.join(' ')}`.trim();
process.stderr.write(`load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} on ${os.cpus().length} cores\n`);
const result = await runBench({
  workloads,
  skipped,
  rounds,
  scenarios,
  sampleMs,
  warmup,
  warmupMs,
  command,
  onProgress: (text) => process.stderr.write(`${text}\n`),
});

// The native peer: uftrace record of workload.c built natively with clang -pg (skipped, with the reason, without clang or uftrace)
if (ids.includes('c') && !argv.includes('--no-native')) {
  process.stderr.write('native peer: clang -O2 -pg workload.c, uftrace record\n');
  result.native = measureNativePeer(join(ROOT, 'wasm-fixtures/c/workload.c'), { rounds: quick ? 20 : 50, reps: quick ? 3 : 7 });
  result.targets = evaluateTargets(result);
}

for (const w of result.workloads) console.log(`\n${formatWorkloadTable(w)}`);
if (result.native) console.log(`\n${formatNativePeer(result.native)}`);
console.log(`\n${formatTargetsTable(result.targets)}`);

const dir = quick ? join(ROOT, 'bench', 'results', 'tmp') : join(ROOT, 'bench', 'results');
const base = quick ? 'hook-overhead.quick' : 'hook-overhead';
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, `${base}.md`), formatMarkdown(result));
writeFileSync(join(dir, `${base}.json`), formatJson(result));
writeFileSync(join(dir, `${base}.svg`), renderSvg(result));
process.stderr.write(`wrote ${join(dir, base)}.{md,json,svg}\n`);
