#!/usr/bin/env node
/**
 * Hook overhead: how much slower a call-heavy module runs under each way of
 * tracing it, as ratios to the uninstrumented module in the same process.
 *
 *   node bench/hook-overhead.mjs [--workload fib,c] [--rounds N] [--n FIB_ARG] [--quick]
 *
 * Workloads: `fib`, tiny recursive functions (the worst case for a per-entry
 * hook), and `c`, wasm-fixtures/c/workload.c built with clang (a sort with a
 * comparator through a function pointer, a hash, a bytecode interpreter).
 *
 * Each scenario runs in a worker of its own, interleaved with the
 * uninstrumented baseline in that worker (one run of each per round, so
 * machine noise hits both alike); we report medians. A worker per scenario
 * keeps V8's call-site feedback apart: one program traces with one kind of
 * ops, and sharing the dispatcher's code between eleven kinds in one isolate
 * would make every call site megamorphic, which no real user sees.
 * Nothing here asserts a time.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { instrument, Ftrace, createOps } from '../dist/index.js';
import { TraceArray } from '../dist/tracers/index.js';

// node:wasi warns that it is experimental, once per worker: not news here.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'ExperimentalWarning') console.warn(`${w.name}: ${w.message}`);
});
const { WASI } = await import('node:wasi');

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const quick = args.includes('--quick');
const ROUNDS = Number(opt('--rounds', quick ? 3 : 15));
const N = Number(opt('--n', quick ? 20 : 25));
const WORKLOADS = String(opt('--workload', 'fib,c')).split(',');

const FIB_WAT = `(module
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_s (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func $never (export "never") (result i32) (i32.const 0)))`;

async function loadWorkload(name) {
  if (name === 'fib') {
    const wabt = await wabtInit();
    const parsed = wabt.parseWat('bench.wat', FIB_WAT, {});
    const bytes = new Uint8Array(parsed.toBinary({ write_debug_names: true }).buffer);
    parsed.destroy();
    return { name, label: `fib(${N}), tiny recursive functions`, bytes, never: 'never', imports: () => ({}), run: (ex) => ex.fib(N) };
  }
  if (name === 'c') {
    const bytes = new Uint8Array(readFileSync(path.join(here, '../wasm-fixtures/build/workload.wasm')));
    // run() needs no WASI call; the imports are there because the module is a WASI command
    const imports = () => new WASI({ version: 'preview1', returnOnExit: true }).getImportObject();
    return { name, label: 'workload.c: run(1) (sort, hash, interpreter)', bytes, never: 'main', imports, run: (ex) => ex.run(1) };
  }
  throw new Error(`unknown workload '${name}' (fib, c)`);
}

/** The scenarios; each returns { run, ft? } for one instance set up once. */
function scenarios(w) {
  const traced = instrument(w.bytes);
  const withExits = instrument(w.bytes, { exitHooks: true });
  const empty = () => {};
  const instantiate = (binary, ftrace) => new WebAssembly.Instance(new WebAssembly.Module(binary), { ...w.imports(), ftrace });
  const withFtrace = (setup) => {
    const module = new WebAssembly.Module(traced.binary);
    const ft = Ftrace.forModule(module);
    const instance = new WebAssembly.Instance(module, { ...w.imports(), ftrace: ft.imports });
    ft.attach(instance);
    setup?.(ft);
    return { exports: instance.exports, ft };
  };
  const withTracer = (tracer, clock) => {
    const binary = tracer === 'function' ? traced.binary : withExits.binary;
    const tr = new TraceArray({ tracer, clock });
    const module = new WebAssembly.Module(binary);
    const inst = tr.addInstance(Ftrace.forModule(module));
    const instance = new WebAssembly.Instance(module, tr.importsFor(inst, w.imports()));
    tr.attach(inst, instance);
    return { exports: instance.exports, ft: inst.ft };
  };
  return [
    ['baseline (uninstrumented)', () => ({ exports: new WebAssembly.Instance(new WebAssembly.Module(w.bytes), w.imports()).exports })],
    ['tracing off (nothing registered)', () => withFtrace()],
    [`filtered out (filter: ${w.never})`, () =>
      withFtrace((ft) => {
        const o = createOps(empty);
        ft.setFilter(o, w.never);
        ft.register(o);
      })],
    // the raw cost of leaving wasm: guards at their defaults, mcount an empty JS function
    ['empty import at every entry (floor)', () => ({ exports: instantiate(traced.binary, { mcount: empty }).exports })],
    ['one static ops (direct)', () => withFtrace((ft) => ft.register(createOps(empty)))],
    ['two ops (list)', () =>
      withFtrace((ft) => {
        ft.register(createOps(() => {}));
        ft.register(createOps(() => {}));
      })],
    ['one dynamic ops (list)', () => withFtrace((ft) => ft.register(createOps(empty, { dynamic: true })))],
    ['function tracer, counter clock', () => withTracer('function', 'counter')],
    ['function tracer, perf clock', () => withTracer('function', 'perf')],
    ['function_graph tracer, perf clock', () => withTracer('function_graph', 'perf')],
    ['profiler, perf clock', () => withTracer('profiler', 'perf')],
    ['a clock read at every entry (performance.now)', () => ({ exports: instantiate(traced.binary, { mcount: () => void performance.now() }).exports })],
  ];
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

if (!isMainThread) {
  // One scenario against the baseline, interleaved.
  const w = await loadWorkload(workerData.workload);
  const list = scenarios(w);
  const runs = [list[0][1](), list[workerData.index][1]()];
  for (const r of runs) for (let i = 0; i < 10; i++) w.run(r.exports); // warm up: let V8 tier up
  const times = [[], []];
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < 2; i++) {
      const t0 = performance.now();
      w.run(runs[i].exports);
      times[i].push(performance.now() - t0);
    }
  }
  parentPort.postMessage({ times, mode: runs[1].ft?.mode ?? null });
} else {
  await main();
}

/** Function entries per run: counted once with an mcount that counts. */
function entriesPerRun(w) {
  let n = 0;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(instrument(w.bytes).binary), { ...w.imports(), ftrace: { mcount: () => n++ } });
  w.run(instance.exports);
  return n;
}


async function measure(w) {
  const names = scenarios(w).map(([name]) => name);
  const calls = entriesPerRun(w);
  const results = [];
  for (let index = 0; index < names.length; index++) {
    const result = await new Promise((resolve, reject) => {
      const worker = new Worker(new URL(import.meta.url), { workerData: { index, workload: w.name }, argv: args });
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    results.push({ name: names[index], ...result });
  }
  // Overhead of a scenario: its median minus the median of the baseline
  // that ran beside it in the same worker.
  const overheadMs = (r) => median(r.times[1]) - median(r.times[0]);
  const floorOverhead = overheadMs(results.find((r) => r.name.includes('floor')));
  const rows = results.map((r, i) => {
    const base = median(r.times[0]);
    const mine = r.times[i === 0 ? 0 : 1];
    const over = i === 0 ? 0 : overheadMs(r);
    return {
      scenario: r.name,
      mode: r.mode ?? '-',
      baselineMs: +base.toFixed(3),
      medianMs: +median(mine).toFixed(3),
      spreadMs: `${Math.min(...mine).toFixed(3)}..${Math.max(...mine).toFixed(3)}`,
      ratioToBaseline: +(median(mine) / base).toFixed(3),
      overheadNsPerCall: +((over * 1e6) / calls).toFixed(2),
      overheadVsFloor: i === 0 ? null : +(over / floorOverhead).toFixed(3),
    };
  });
  return { workload: w.name, label: w.label, entriesPerRun: calls, rows };
}

async function main() {
  const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'} x${os.cpus().length}, node ${process.version}`;
  const cmd = `node bench/hook-overhead.mjs ${args.join(' ')}`.trim();
  const out = [];
  let md = `# Hook overhead\n\n${new Date().toISOString().slice(0, 10)}, ${machine}. Command: \`${cmd}\`. ${ROUNDS} interleaved rounds per scenario, medians; each scenario in its own worker beside its own baseline run.\n`;
  for (const name of WORKLOADS) {
    const w = await loadWorkload(name);
    const r = await measure(w);
    out.push(r);
    const table = [
      `\n## ${r.label}: ${r.entriesPerRun} function entries per run\n`,
      '| scenario | dispatch | baseline ms | median ms | min..max ms | x baseline | ns per entry over baseline | overhead / floor overhead |',
      '|---|---|---:|---:|---:|---:|---:|---:|',
      ...r.rows.map((x) => `| ${x.scenario} | ${x.mode} | ${x.baselineMs} | ${x.medianMs} | ${x.spreadMs} | ${x.ratioToBaseline} | ${x.overheadNsPerCall} | ${x.overheadVsFloor ?? '-'} |`),
    ].join('\n');
    md += `${table}\n`;
    console.log(table);
  }
  if (!quick || args.includes('--write')) {
    const dir = path.join(here, 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'hook-overhead.json'), JSON.stringify({ date: new Date().toISOString(), machine, command: cmd, rounds: ROUNDS, workloads: out }, null, 2) + '\n');
    writeFileSync(path.join(dir, 'hook-overhead.md'), md);
  }
}
