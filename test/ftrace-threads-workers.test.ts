/**
 * The shared ftrace state against another real thread: what a binding on one
 * JS thread cannot show by itself (test/ftrace-threads.test.ts has the rest).
 * The other thread is a small Worker of plain JS acting on the shared words
 * as another thread's binding would (the seqlock's lock and generation
 * words, a reader's sequence word), so the code under test is all on this
 * side; it loads nothing, and these tests run in `npm run mutate`.
 * Handshakes wait on Atomics; a Worker's hold time only makes a broken
 * binding show, a working one passes whatever the timing.
 */
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { createOps, Ftrace, FtraceThread, SharedFtraceState, type FtraceOps, type SharedStateOptions } from '../src/ftrace/index.js';
import { coreModule, IP } from './helpers/core-fixture.js';

/**
 * A writer on another thread, as FtraceThread's writers are: it takes the
 * lock (word 0), makes the generation (word 1) odd, says so (ctl[0]), holds
 * for holdMs, notes whether anyone else wrote meanwhile (ctl[2]: 1 alone,
 * 2 not), copies the description (header, slots, text: everything before
 * the reader table) of `from`, a state of the same shape, and releases.
 */
const WRITER = `
const { workerData } = require('node:worker_threads');
const { state, from, end, ctl, holdMs } = workerData;
const h = new Int32Array(state, 0, 2);
const c = new Int32Array(ctl);
while (Atomics.compareExchange(h, 0, 0, 1) !== 0);
const g = Atomics.add(h, 1, 1) + 1;
Atomics.store(c, 0, 1);
Atomics.notify(c, 0);
Atomics.wait(c, 1, 0, holdMs);
const alone = Atomics.load(h, 1) === g;
if (from) new Uint8Array(state, 8, end - 8).set(new Uint8Array(from, 8, end - 8));
Atomics.add(h, 1, 1);
Atomics.store(h, 0, 0);
Atomics.notify(h, 0);
Atomics.store(c, 2, alone ? 1 : 2);
Atomics.notify(c, 2);
`;

/**
 * A reader leaving its read-side section from another thread: once told
 * (ctl[0]) it waits holdMs, says it left (ctl[2] = 1), then moves the
 * reader's sequence word (words[at]) to even and wakes whoever waits on it.
 */
const LEAVER = `
const { workerData } = require('node:worker_threads');
const { buffer, at, ctl, holdMs } = workerData;
const words = new Int32Array(buffer);
const c = new Int32Array(ctl);
Atomics.wait(c, 0, 0);
Atomics.wait(c, 1, 0, holdMs);
Atomics.store(c, 2, 1);
Atomics.add(words, at, 1);
Atomics.notify(words, at);
`;

/**
 * A writer on another thread that keeps rewriting the description, under
 * the seqlock, alternately to that of `a` and of `b` (states of the same
 * shape), `writes` times (ctl[2]: started, ctl[1]: done; ctl[0]: stop).
 */
const FLIPPER = `
const { workerData } = require('node:worker_threads');
const { state, a, b, end, ctl, writes } = workerData;
const h = new Int32Array(state, 0, 2);
const c = new Int32Array(ctl);
const to = new Uint8Array(state, 8, end - 8);
const from = [new Uint8Array(a, 8, end - 8), new Uint8Array(b, 8, end - 8)];
Atomics.store(c, 2, 1);
for (let i = 0; i < writes && Atomics.load(c, 0) === 0; i++) {
  while (Atomics.compareExchange(h, 0, 0, 1) !== 0);
  Atomics.add(h, 1, 1);
  to.set(from[i & 1]);
  Atomics.add(h, 1, 1);
  Atomics.store(h, 0, 0);
  Atomics.wait(c, 0, 0, 0.02);
}
Atomics.store(c, 1, 1);
Atomics.notify(c, 1);
`;

const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

function start(code: string, data: Record<string, unknown>): Int32Array {
  const ctl = new Int32Array(new SharedArrayBuffer(12));
  const w = new Worker(code, { eval: true, workerData: { ...data, ctl: ctl.buffer } });
  w.on('error', (e) => {
    throw e;
  });
  workers.push(w);
  return ctl;
}

/** Waits (blocking: this is Node's main thread) until ctl[i] is not 0; returns it. */
function waitFor(ctl: Int32Array, i: number): number {
  for (let n = 0; n < 1000 && Atomics.load(ctl, i) === 0; n++) Atomics.wait(ctl, i, 0, 10);
  const v = Atomics.load(ctl, i);
  if (v === 0) throw new Error(`the worker never set ctl[${i}]`);
  return v;
}

/** A writer on another thread, now holding `state`'s lock with the generation odd; `alone()` once it released. */
function writerHolding(state: SharedFtraceState, from: SharedFtraceState | null, holdMs: number) {
  const ctl = start(WRITER, { state: state.buffer, from: from?.buffer ?? null, end: state.readers.words.byteOffset, holdMs });
  waitFor(ctl, 0);
  return { alone: () => waitFor(ctl, 2) === 1 };
}

/** A new state whose description holds `keys` (filter leaf, notrace fib), made through the API on a scratch binding. */
function described(shape: SharedStateOptions, keys: number[]): SharedFtraceState {
  const state = SharedFtraceState.create(shape);
  const t = new FtraceThread(new Ftrace(coreModule.metadata), state, {});
  for (const k of keys) t.register(k, { filter: 'leaf', notrace: 'fib' });
  t.close();
  return state;
}

function thread(state: SharedFtraceState, log: string[]) {
  const ft = new Ftrace(coreModule.metadata, { moduleName: 'core' });
  const t = new FtraceThread(ft, state, { resolve: (key): FtraceOps => createOps((ip) => log.push(`${key} ${ip}`), { name: `ops${key}` }) });
  const instance = new WebAssembly.Instance(coreModule.module, { env: { enter: () => {}, host: () => {} }, ftrace: t.imports });
  return { t, ft, instance, x: instance.exports as unknown as Record<string, (...a: number[]) => number> };
}

describe('a shared ftrace state against another thread', () => {
  it('a binding made, or attached, while another thread writes waits for the write and takes it up whole', () => {
    const log: string[] = [];
    const from = described({ maxOps: 4, maxThreads: 4 }, [5]);
    // the very first write to a state, in flight while a thread binds
    const state = SharedFtraceState.create({ maxOps: 4, maxThreads: 4 });
    const writer = writerHolding(state, from, 50);
    const b = thread(state, log);
    expect([b.ft.registered.map((o) => o.name), writer.alone()]).toEqual([['ops5'], true]);
    // the first write, in flight while a bound thread attaches its instance
    const state2 = SharedFtraceState.create({ maxOps: 4, maxThreads: 4 });
    const c = thread(state2, log);
    const writer2 = writerHolding(state2, from, 50);
    c.t.attach(c.instance);
    expect([c.ft.registered.map((o) => o.name), writer2.alone()]).toEqual([['ops5'], true]);
    // and while a thread reads the keys
    const writer3 = writerHolding(state2, SharedFtraceState.create({ maxOps: 4, maxThreads: 4 }), 50);
    expect([c.t.registeredKeys, writer3.alone()]).toEqual([[], true]);
    c.x['leaf']!();
    b.x['leaf']!();
    expect(log).toEqual([`5 ${IP.leaf}`]);
  });

  it('writers on two threads take turns: a register waits for the other thread\'s write to end', () => {
    const state = SharedFtraceState.create();
    const a = thread(state, []);
    const g = state.generation;
    const writer = writerHolding(state, null, 50);
    a.t.register(7);
    expect([writer.alone(), a.t.registeredKeys, state.generation]).toEqual([true, [7], g + 4]);
  });

  it('a reader never sees a description half written: another thread rewriting it all the time, every read is one of the two', () => {
    const shape = { maxOps: 64, maxThreads: 2, textBytes: 64 };
    const evens = Array.from({ length: 64 }, (_, i) => 2 * i);
    const odds = evens.map((k) => k + 1);
    const state = described(shape, evens);
    const reader = new FtraceThread(new Ftrace(coreModule.metadata), state, {});
    const ctl = start(FLIPPER, { state: state.buffer, a: described(shape, odds).buffer, b: state.buffer.slice(0), end: state.readers.words.byteOffset, writes: 2000 });
    waitFor(ctl, 2);
    const seen = new Set<string>();
    for (let reads = 0; reads < 5000 && Atomics.load(ctl, 1) === 0; reads++) seen.add(reader.registeredKeys.join());
    Atomics.store(ctl, 0, 1);
    waitFor(ctl, 1);
    expect([...seen].filter((keys) => keys !== evens.join() && keys !== odds.join())).toEqual([]);
  });

  it('unregister of a DYNAMIC ops returns only after a thread inside a read-side section has left it', () => {
    const state = SharedFtraceState.create();
    const a = thread(state, []);
    a.t.register(9, { dynamic: true });
    // another thread's reader, inside a section; the word that moved is its sequence word
    const reader = state.readers.join();
    const before = Int32Array.from(state.readers.words);
    reader.enter();
    const at = state.readers.words.findIndex((w, i) => w !== before[i]);
    const ctl = start(LEAVER, { buffer: state.buffer, at: state.readers.words.byteOffset / 4 + at, holdMs: 50 });
    Atomics.store(ctl, 0, 1);
    Atomics.notify(ctl, 0);
    a.t.unregister(9);
    expect([Atomics.load(ctl, 2), a.t.registeredKeys]).toEqual([1, []]);
    reader.close();
  });
});
