#!/usr/bin/env node
/**
 * Hook overhead: how much slower a call-heavy module runs under each way of
 * tracing it, as ratios to the uninstrumented module in the same process.
 *
 *   node bench/hook-overhead.mjs [--rounds N] [--n FIB_ARG] [--quick]
 *
 * Each scenario runs in a worker of its own, interleaved with the
 * uninstrumented baseline in that worker (one run of each per round, so
 * machine noise hits both alike); we report medians. A worker per scenario
 * keeps V8's call-site feedback apart: one program traces with one kind of
 * ops, and sharing the dispatcher's code between seven kinds in one isolate
 * would make every call site megamorphic, which no real user sees.
 * Nothing here asserts a time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { instrument, Ftrace, createOps } from '../dist/index.js';
import { TraceArray } from '../dist/tracers/index.js';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const quick = args.includes('--quick');
const ROUNDS = opt('--rounds', quick ? 3 : 15);
const N = opt('--n', quick ? 20 : 27);

// Tiny recursive functions: the worst case for a per-entry hook.
const WAT = `(module
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_s (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func $never (export "never") (result i32) (i32.const 0)))`;
const wabt = await wabtInit();
const parsed = wabt.parseWat('bench.wat', WAT, {});
const original = new Uint8Array(parsed.toBinary({ write_debug_names: true }).buffer);
parsed.destroy();
const traced = instrument(original);
const tracedWithExits = instrument(original, { exitHooks: true });
const calls = fibCalls(N);

function fibCalls(n) {
  const memo = [1, 1];
  for (let i = 2; i <= n; i++) memo[i] = memo[i - 1] + memo[i - 2] + 1;
  return memo[n];
}

/** Each scenario is its own instance, set up once. */
function tracedInstance(setup) {
  const module = new WebAssembly.Module(traced.binary);
  const ft = Ftrace.forModule(module);
  const instance = new WebAssembly.Instance(module, { ftrace: ft.imports });
  ft.attach(instance);
  setup?.(ft);
  return { fib: instance.exports.fib, ft };
}

const empty = () => {};

/** A tracer on a trace array, as users run them. */
function tracerInstance(tracer, clock) {
  const binary = tracer === 'function' ? traced.binary : tracedWithExits.binary;
  const tr = new TraceArray({ tracer, clock });
  const module = new WebAssembly.Module(binary);
  const inst = tr.addInstance(Ftrace.forModule(module));
  const instance = new WebAssembly.Instance(module, tr.importsFor(inst, {}));
  tr.attach(inst, instance);
  return { fib: instance.exports.fib, ft: inst.ft, tr };
}
const scenarios = [
  ['baseline (uninstrumented)', () => ({ fib: new WebAssembly.Instance(new WebAssembly.Module(original)).exports.fib })],
  ['tracing off (nothing registered)', () => tracedInstance()],
  ['filtered out (filter: never)', () =>
    tracedInstance((ft) => {
      const o = createOps(empty);
      ft.setFilter(o, 'never');
      ft.register(o);
    })],
  ['empty import at every entry (floor)', () => {
    // the raw cost of leaving wasm: guards at their defaults, mcount an empty JS function
    const instance = new WebAssembly.Instance(new WebAssembly.Module(traced.binary), { ftrace: { mcount: empty } });
    return { fib: instance.exports.fib };
  }],
  ['one static ops (direct)', () => tracedInstance((ft) => ft.register(createOps(empty)))],
  ['two ops (list)', () =>
    tracedInstance((ft) => {
      ft.register(createOps(empty));
      ft.register(createOps(empty));
    })],
  ['one dynamic ops (list)', () => tracedInstance((ft) => ft.register(createOps(empty, { dynamic: true })))],
  ['function tracer, counter clock', () => tracerInstance('function', 'counter')],
  ['function tracer, perf clock', () => tracerInstance('function', 'perf')],
  ['function_graph tracer, perf clock', () => tracerInstance('function_graph', 'perf')],
  ['profiler, perf clock', () => tracerInstance('profiler', 'perf')],
];

if (!isMainThread) {
  // One scenario against the baseline, interleaved.
  const baseline = scenarios[0][1]();
  const scenario = scenarios[workerData.index][1]();
  const runs = [baseline, scenario];
  for (const r of runs) for (let i = 0; i < 10; i++) r.fib(N); // warm up: let V8 tier up
  const times = [[], []];
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < 2; i++) {
      const t0 = performance.now();
      runs[i].fib(N);
      times[i].push(performance.now() - t0);
    }
  }
  parentPort.postMessage({ times, mode: scenario.ft?.mode ?? null });
} else {
  await main();
}

async function main() {
const results = [];
for (let index = 0; index < scenarios.length; index++) {
  const result = await new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { index }, argv: args });
    w.once('message', resolve);
    w.once('error', reject);
  });
  results.push({ name: scenarios[index][0], ...result });
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
// Overhead of a scenario: its median minus the median of the baseline that
// ran beside it in the same worker.
const overheadMs = (r) => median(r.times[1]) - median(r.times[0]);
const floorOverhead = overheadMs(results.find((r) => r.name.includes('floor')));
const rows = results.map((r, i) => {
  const base = median(r.times[0]);
  const med = i === 0 ? base : median(r.times[1]);
  const over = i === 0 ? 0 : overheadMs(r);
  return {
    scenario: r.name,
    mode: r.mode ?? '-',
    baselineMs: +base.toFixed(3),
    medianMs: +med.toFixed(3),
    minMs: +Math.min(...r.times[i === 0 ? 0 : 1]).toFixed(3),
    maxMs: +Math.max(...r.times[i === 0 ? 0 : 1]).toFixed(3),
    ratioToBaseline: +(med / base).toFixed(3),
    overheadNsPerCall: +((over * 1e6) / calls).toFixed(2),
    overheadVsFloor: i === 0 ? null : +(over / floorOverhead).toFixed(3),
  };
});

const cmd = `node bench/hook-overhead.mjs ${args.join(' ')}`.trim();
const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'} x${os.cpus().length}, node ${process.version}`;
const header = `Hook overhead, fib(${N}) = ${calls} calls per run, ${ROUNDS} interleaved rounds, medians.\n${new Date().toISOString().slice(0, 10)}, ${machine}\nCommand: \`${cmd}\`\n`;
const table = [
  '| scenario | dispatch | baseline ms | median ms | min..max ms | x baseline | ns/call over baseline | overhead / floor overhead |',
  '|---|---|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.scenario} | ${r.mode} | ${r.baselineMs} | ${r.medianMs} | ${r.minMs}..${r.maxMs} | ${r.ratioToBaseline} | ${r.overheadNsPerCall} | ${r.overheadVsFloor ?? '-'} |`),
].join('\n');
console.log(`${header}\n${table}`);

if (!quick || args.includes('--write')) {
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'hook-overhead.json'), JSON.stringify({ date: new Date().toISOString(), machine, command: cmd, n: N, calls, rounds: ROUNDS, rows }, null, 2) + '\n');
  writeFileSync(path.join(dir, 'hook-overhead.md'), `${header}\n${table}\n`);
}
}
