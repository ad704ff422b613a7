#!/usr/bin/env node
/**
 * Hook overhead: how much slower a call-heavy module runs under each way of
 * tracing it, as ratios to the uninstrumented module in the same process.
 *
 *   node bench/hook-overhead.mjs [--rounds N] [--n FIB_ARG] [--quick]
 *
 * Scenarios run interleaved (one run of each per round) so machine noise
 * hits them alike; we report medians. Nothing here asserts a time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { instrument, Ftrace, createOps } from '../dist/index.js';

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
];

const instances = scenarios.map(([name, make]) => ({ name, ...make() }));
for (const s of instances) {
  if (s.ft) s.mode = s.ft.mode;
  for (let i = 0; i < 5; i++) s.fib(N); // warm up: let V8 tier up each instance
}
const times = instances.map(() => []);
for (let r = 0; r < ROUNDS; r++) {
  for (let i = 0; i < instances.length; i++) {
    const t0 = performance.now();
    instances[i].fib(N);
    times[i].push(performance.now() - t0);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const base = median(times[0]);
const floorIdx = instances.findIndex((s) => s.name.includes('floor'));
const floorOverhead = median(times[floorIdx]) - base;
const rows = instances.map((s, i) => {
  const med = median(times[i]);
  const overheadNs = ((med - base) * 1e6) / calls;
  return {
    scenario: s.name,
    mode: s.mode ?? '-',
    medianMs: +med.toFixed(3),
    minMs: +Math.min(...times[i]).toFixed(3),
    maxMs: +Math.max(...times[i]).toFixed(3),
    ratioToBaseline: +(med / base).toFixed(3),
    overheadNsPerCall: +overheadNs.toFixed(2),
    overheadVsFloor: i === 0 ? null : +((med - base) / floorOverhead).toFixed(3),
  };
});

const cmd = `node bench/hook-overhead.mjs ${args.join(' ')}`.trim();
const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'} x${os.cpus().length}, node ${process.version}`;
const header = `Hook overhead, fib(${N}) = ${calls} calls per run, ${ROUNDS} interleaved rounds, medians.\n${new Date().toISOString().slice(0, 10)}, ${machine}\nCommand: \`${cmd}\`\n`;
const table = [
  '| scenario | dispatch | median ms | min..max ms | x baseline | ns/call over baseline | overhead / floor overhead |',
  '|---|---|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.scenario} | ${r.mode} | ${r.medianMs} | ${r.minMs}..${r.maxMs} | ${r.ratioToBaseline} | ${r.overheadNsPerCall} | ${r.overheadVsFloor ?? '-'} |`),
].join('\n');
console.log(`${header}\n${table}`);

if (!quick || args.includes('--write')) {
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'hook-overhead.json'), JSON.stringify({ date: new Date().toISOString(), machine, command: cmd, n: N, calls, rounds: ROUNDS, rows }, null, 2) + '\n');
  writeFileSync(path.join(dir, 'hook-overhead.md'), `${header}\n${table}\n`);
}
