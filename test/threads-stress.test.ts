/**
 * Grace periods across real threads (worker_threads), the seed patch's
 * promise: once unregister of a DYNAMIC ops returns, no thread calls it
 * again, so its memory may be freed at once.
 *
 * Workers dispatch traced wasm calls in a loop (each its own instance and
 * Ftrace, bound to one SharedFtraceState); meanwhile this thread keeps
 * registering DYNAMIC ops (structs in a shared heap, stamped live with an
 * epoch), changing their filters, unregistering them and at once poisoning
 * their struct (the free); the Workers change filters too (several
 * writers). The oracle is independent of the code under test:
 * each ops' callback checks its own struct, before and after some work. A
 * call of a freed (or freed and reused) ops is a violation. A static
 * counter ops must see every function entry on every Worker exactly once.
 *
 *   CI: 2 Workers, >= 10^6 dispatches in all (seconds).
 *   npm run test:threads-stress: the long run (WASM_FTRACE_STRESS=long: 3 Workers, 3 x 10^7).
 *   WASM_FTRACE_STRESS_NO_WAIT=1: unregister skips the grace period (a test
 *   switch in FtraceThread); the test must then fail with violations.
 * Needs the built dist/ (npm run build): the Workers run it.
 */
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { Ftrace, FtraceThread, SharedFtraceState, createOps } from '../src/ftrace/index.js';
import { instrument } from '../src/index.js';
import { wat } from './helpers/wat.js';

const LONG = process.env['WASM_FTRACE_STRESS'] === 'long';
const NO_WAIT = process.env['WASM_FTRACE_STRESS_NO_WAIT'] === '1';
const WORKERS = LONG ? 3 : 2;
const PER_WORKER = LONG ? 10_000_000 : 500_000;
/** traced calls per run(): 1 + 2 * BATCH dispatches */
const BATCH = 500;
const STRUCTS = 16;
/** DYNAMIC ops registered at once, at most */
const LIVE_MAX = 4;
const LIVE = 0x11ce;
const POISON = 0xdead;
const COUNTER = 0x7fff_0000;
const FILTERS = ['', 'leaf', 'mid', 'leaf mid', '*', 'run'];
const R = { READY: 0, DONE: 1, VIOLATIONS: 2, GO: 3, CYCLES: 4, PER_WORKER: 5, WORKER_WORDS: 4 };
/** the Workers go on until this thread has unregistered and freed this many ops, however fast they are */
const MIN_CYCLES = LONG ? 40_000 : 2_000;

const module = new WebAssembly.Module(
  instrument(
    wat(`(module
      (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
      (func $mid (param i32) (result i32) (call $leaf (local.get 0)))
      (func $run (export "run") (param $n i32) (result i32) (local $acc i32)
        (block $out (loop $l
          (br_if $out (i32.eqz (local.get $n)))
          (local.set $acc (call $mid (local.get $acc)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $l)))
        (local.get $acc)))`),
  ).binary as Uint8Array<ArrayBuffer>,
);

/** xorshift32: a fixed sequence of choices on this thread (the Workers' timing is not fixed) */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x1_0000_0000;
  };
}

const workers: Worker[] = [];
afterAll(async () => {
  await Promise.all(workers.map((w) => w.terminate()));
});

describe('grace periods across Workers', () => {
  it(`no ops is called after unregister returned and it was freed (${WORKERS} Workers, ${WORKERS * PER_WORKER} dispatches)`, async () => {
    const state = SharedFtraceState.create();
    const heap = new Int32Array(new SharedArrayBuffer(STRUCTS * 2 * 4));
    const res = new Int32Array(new SharedArrayBuffer((R.PER_WORKER + WORKERS * R.WORKER_WORDS) * 4));
    const main = new FtraceThread(Ftrace.forModule(module), state, { resolve: () => createOps(() => {}), skipGracePeriodForTest: NO_WAIT });
    main.register(COUNTER);

    const errors: Error[] = [];
    for (let index = 0; index < WORKERS; index++) {
      const w = new Worker(new URL('./threads/stress-worker.mjs', import.meta.url), {
        workerData: { module, stateBuffer: state.buffer, heap: heap.buffer, results: res.buffer, index, target: PER_WORKER, minCycles: MIN_CYCLES, batch: BATCH, filters: FILTERS, spin: 64, counterKey: COUNTER, LIVE, R },
      });
      w.on('error', (e) => errors.push(e));
      workers.push(w);
    }
    while (Atomics.load(res, R.READY) < WORKERS && errors.length === 0) await new Promise((r) => setTimeout(r, 10));
    expect(errors).toEqual([]);

    const random = rng(12);
    const live: number[] = []; // struct indexes registered now
    const epochs = new Array<number>(STRUCTS).fill(0);
    const keyOf = (s: number) => s | (epochs[s]! << 8);
    const stats = { registers: 0, unregisters: 0, refilters: 0, drains: 0 };
    const started = performance.now();
    Atomics.store(res, R.GO, 1);
    Atomics.notify(res, R.GO);
    // This thread is the writer: it never yields until the Workers are done (Atomics.load sees them).
    while (Atomics.load(res, R.DONE) < WORKERS && errors.length === 0) {
      const r = random();
      if (live.length < LIVE_MAX && (r < 0.45 || live.length === 0)) {
        const free = [...Array(STRUCTS).keys()].filter((s) => !live.includes(s));
        const s = free[Math.floor(random() * free.length)]!;
        epochs[s] = (epochs[s]! + 1) & 0x7fffff;
        Atomics.store(heap, s * 2 + 1, epochs[s]!);
        Atomics.store(heap, s * 2, LIVE); // malloc + initialise
        main.register(keyOf(s), { dynamic: true, filter: FILTERS[Math.floor(random() * FILTERS.length)]! });
        live.push(s);
        stats.registers++;
      } else if (r < 0.55 && live.length > 0) {
        main.setFilter(keyOf(live[Math.floor(random() * live.length)]!), FILTERS[Math.floor(random() * FILTERS.length)]!);
        stats.refilters++;
      } else if (live.length > 0) {
        // now and then all of them: the Workers go back to static ops only (no published section) and out again
        const drain = r > 0.97;
        for (const s of drain ? live.splice(0) : live.splice(Math.floor(random() * live.length), 1)) {
          main.unregister(keyOf(s));
          Atomics.store(heap, s * 2, POISON); // free(): the ops may be freed at once
          stats.unregisters++;
        }
        Atomics.store(res, R.CYCLES, stats.unregisters);
        if (live.length === 0) stats.drains++;
      }
    }
    const ms = performance.now() - started;
    expect(errors).toEqual([]);
    let dispatches = 0;
    let dynamicCalls = 0;
    const counted: [number, number][] = [];
    let workerRefilters = 0;
    for (let i = 0; i < WORKERS; i++) {
      dispatches += res[R.PER_WORKER + i * R.WORKER_WORDS]!;
      dynamicCalls += res[R.PER_WORKER + i * R.WORKER_WORDS + 1]!;
      counted.push([res[R.PER_WORKER + i * R.WORKER_WORDS]!, res[R.PER_WORKER + i * R.WORKER_WORDS + 2]!]);
      workerRefilters += res[R.PER_WORKER + i * R.WORKER_WORDS + 3]!;
    }
    const violations = Atomics.load(res, R.VIOLATIONS);
    console.log(
      `threads stress${NO_WAIT ? ' (NO WAIT)' : ''}: ${WORKERS} Workers, ${dispatches} dispatches, ${dynamicCalls} DYNAMIC ops calls, ` +
        `${stats.registers} registers / ${stats.unregisters} unregisters+frees / ${stats.refilters} filter changes (+${workerRefilters} by the Workers) / ${stats.drains} times none left, ${(ms / 1000).toFixed(2)} s: ${violations} calls of a freed ops`,
    );
    main.close();
    expect(dispatches).toBeGreaterThanOrEqual(WORKERS * PER_WORKER);
    // the oracle had work: DYNAMIC ops were called, and freed many times while the Workers ran
    expect(dynamicCalls).toBeGreaterThan(1000);
    expect(stats.unregisters).toBeGreaterThanOrEqual(MIN_CYCLES);
    expect(stats.drains).toBeGreaterThan(10);
    expect(workerRefilters).toBeGreaterThan(10);
    expect(violations).toBe(0);
    // no lost or doubled dispatch: the static counter saw each Worker's function entries exactly once
    for (const [seen, entries] of counted) expect(seen).toBe(entries);
  });
});
