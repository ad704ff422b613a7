#!/usr/bin/env node
/**
 * What sharing one ftrace state across threads costs a thread that
 * dispatches (src/ftrace/threads.ts): FtraceThread's mcount wraps the
 * Ftrace's own in a read-side section that publishes itself to the other
 * threads (two Atomics.store) and loads the shared generation (one
 * Atomics.load). Measured on fib(N) against the same Ftrace unbound, in
 * three modes:
 *   off     no ops registered: every guard is off, nothing dispatches
 *   direct  one static ops, called directly
 *   list    one DYNAMIC ops, through the list walk
 * Each mode runs in a worker thread of its own (V8's type feedback stays
 * apart), the plain and the shared instance interleaved round by round in
 * the same thread, order alternating; the ratio is the median over rounds
 * of shared / plain. Every ops is empty.
 *
 *   node bench/threads-overhead.mjs [--rounds N] [--n FIB_ARG] [--quick]
 * Writes bench/results/threads-overhead.{md,json} (--quick: bench/results/tmp/).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ROOT } from './lib/modules.mjs';

const MODES = ['off', 'direct', 'list'];

if (!isMainThread) {
  const { Ftrace, FtraceThread, SharedFtraceState, createOps } = await import('../dist/ftrace/index.js');
  const { mode, binary, n, rounds, sampleMs } = workerData;
  const module = new WebAssembly.Module(binary);
  const state = SharedFtraceState.create();
  const make = (shared) => {
    const ft = Ftrace.forModule(module);
    const thread = shared ? new FtraceThread(ft, state, { resolve: () => createOps(() => {}) }) : null;
    const instance = new WebAssembly.Instance(module, { ftrace: thread ? thread.imports : ft.imports });
    ft.attach(instance);
    if (mode !== 'off') {
      const dynamic = mode === 'list';
      if (thread) thread.register(1, { dynamic });
      else ft.register(createOps(() => {}, { dynamic }));
    }
    if (ft.mode !== (mode === 'off' ? 'none' : mode)) throw new Error(`${mode}: the Ftrace is in mode ${ft.mode}`);
    return instance.exports.fib;
  };
  const plain = make(false);
  const shared = make(true);
  // warm both, then repeat fib(n) until a sample of the plain one takes ~sampleMs
  for (let i = 0; i < 200; i++) plain(n), shared(n);
  let reps = 1;
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < reps; i++) plain(n);
    if (performance.now() - t >= sampleMs) break;
    reps *= 2;
  }
  const time = (f) => {
    const t = performance.now();
    for (let i = 0; i < reps; i++) f(n);
    return (performance.now() - t) / reps;
  };
  for (let i = 0; i < 3; i++) time(plain), time(shared);
  const rows = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      const p = time(plain);
      rows.push({ plain: p, shared: time(shared) });
    } else {
      const s = time(shared);
      rows.push({ plain: time(plain), shared: s });
    }
  }
  parentPort.postMessage({ mode, reps, rows });
} else {
  const argv = process.argv.slice(2);
  const opt = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  const rounds = Number(opt('--rounds') ?? (quick ? 5 : 101));
  const n = Number(opt('--n') ?? (quick ? 20 : 24));
  const { watToBinary, FIB_WAT } = await import('../dist/bench/build.js');
  const { instrument } = await import('../dist/index.js');
  const binary = instrument(watToBinary(FIB_WAT)).binary;
  const calls = (k) => (k < 2 ? 1 : 1 + calls(k - 1) + calls(k - 2));
  const entries = calls(n);
  const loadBefore = os.loadavg();
  const results = [];
  for (const mode of MODES) {
    const got = await new Promise((resolve, reject) => {
      const w = new Worker(new URL(import.meta.url), { workerData: { mode, binary, n, rounds, sampleMs: quick ? 2 : 5 } });
      w.once('message', resolve);
      w.once('error', reject);
    });
    results.push(got);
    process.stderr.write(`${mode}: done\n`);
  }
  const loadAfter = os.loadavg();
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const table = results.map(({ mode, rows }) => {
    const plainMs = median(rows.map((r) => r.plain));
    const sharedMs = median(rows.map((r) => r.shared));
    const ratio = median(rows.map((r) => r.shared / r.plain));
    return { mode, plainMs, sharedMs, ratio, nsPerEntry: ((sharedMs - plainMs) * 1e6) / entries, min: Math.min(...rows.map((r) => r.shared / r.plain)), max: Math.max(...rows.map((r) => r.shared / r.plain)) };
  });
  const fmt = (x, d = 3) => x.toFixed(d);
  const label = { off: 'off: no ops, guards off', direct: 'one static ops (direct)', list: 'one DYNAMIC ops (list walk)' };
  const md = [
    '# Cost of one ftrace state shared by threads',
    '',
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${os.cpus()[0]?.model ?? 'cpu'} (${os.cpus().length} cores), node ${process.version}; load average ${loadBefore.map((x) => fmt(x, 2)).join(', ')} before, ${loadAfter.map((x) => fmt(x, 2)).join(', ')} after.`,
    '',
    `Command: \`${['node bench/threads-overhead.mjs', ...argv].join(' ')}\`.`,
    `fib(${n}): ${entries} function entries per run. The same Ftrace unbound (plain) against bound to a SharedFtraceState by an FtraceThread (shared), ${rounds} interleaved rounds per mode, each mode in a worker thread of its own; x plain is the median over rounds of shared / plain (min..max beside it).`,
    '',
    '| mode | plain ms | shared ms | x plain | min..max | ns per entry added |',
    '|---|---:|---:|---:|---:|---:|',
    ...table.map((t) => `| ${label[t.mode]} | ${fmt(t.plainMs)} | ${fmt(t.sharedMs)} | ${fmt(t.ratio)} | ${fmt(t.min, 2)}..${fmt(t.max, 2)} | ${fmt(t.nsPerEntry, 1)} |`),
    '',
  ].join('\n');
  console.log(md);
  const dir = quick ? join(ROOT, 'bench', 'results', 'tmp') : join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'threads-overhead.md'), md);
  writeFileSync(join(dir, 'threads-overhead.json'), JSON.stringify({ n, entries, rounds, loadBefore, loadAfter, node: process.version, table, results }, null, 2) + '\n');
  process.stderr.write(`wrote ${join(dir, 'threads-overhead')}.{md,json}\n`);
}
