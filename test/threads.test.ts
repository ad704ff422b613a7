/**
 * One ftrace state for several threads (src/ftrace/threads.ts) and grace
 * periods across them (shared-rcu.ts): a change made on one thread reaches
 * another at its next dispatch; unregister of a DYNAMIC ops returns only
 * after a Worker that was inside a callback has left it; on a thread that
 * cannot block the sync form refuses before changing anything and the async
 * form waits instead. The Workers run the built dist/ (npm run build).
 */
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { EAGAIN, EDEADLK, Ftrace, FtraceError, FtraceThread, SharedFtraceState, createOps, type FtraceOps } from '../src/ftrace/index.js';
import { instrument } from '../src/index.js';
import { wat } from './helpers/wat.js';

const module = new WebAssembly.Module(
  instrument(
    wat(`(module
      (func $leaf (export "leaf") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
      (func $mid (export "mid") (param i32) (result i32) (call $leaf (local.get 0))))`),
  ).binary as Uint8Array<ArrayBuffer>,
);
const IP = { leaf: 0, mid: 1 };

/** A thread's side in one JS thread: its Ftrace on an instance, bound to `state`, recording (key, ip) per call. */
function bind(state: SharedFtraceState, options: { blocking?: boolean } = {}) {
  const calls: [number, number][] = [];
  const ft = Ftrace.forModule(module);
  const thread = new FtraceThread(ft, state, { resolve: (key) => createOps((ip) => void calls.push([key, ip]), { name: `k${key}` }), ...options });
  const instance = new WebAssembly.Instance(module, { ftrace: thread.imports });
  ft.attach(instance);
  const exports = instance.exports as Record<string, (n: number) => number>;
  return { ft, thread, calls, mid: () => thread.callGuest(() => exports['mid']!(1)) };
}

describe('one ftrace state for the threads', () => {
  it('a register, a filter change and an unregister on one thread reach another at its next dispatch', () => {
    const state = SharedFtraceState.create();
    const a = bind(state);
    const b = bind(state);
    a.thread.register(7, { dynamic: true, filter: 'leaf' });
    expect(b.ft.registered).toEqual([]); // not yet applied: b has not dispatched
    b.mid();
    expect(b.calls).toEqual([[7, IP.leaf]]);
    expect(b.ft.registered.map((o: FtraceOps) => o.name)).toEqual(['k7']);
    expect(b.ft.mode).toBe('list'); // DYNAMIC travels with the registration

    a.thread.setFilter(7, 'mid');
    b.calls.length = 0;
    b.mid();
    expect(b.calls).toEqual([[7, IP.mid]]);

    a.thread.unregister(7);
    b.calls.length = 0;
    b.mid();
    expect(b.calls).toEqual([]);
    expect(b.ft.registered).toEqual([]);
    expect(a.thread.registeredKeys).toEqual([]);
    a.thread.close();
    b.thread.close();
  });

  it('refuses what the kernel refuses, with nothing changed', () => {
    const state = SharedFtraceState.create({ textBytes: 16 });
    const a = bind(state);
    a.thread.register(1);
    expect(() => a.thread.register(1)).toThrow(/already registered/);
    expect(() => a.thread.unregister(2)).toThrow(/not registered/);
    expect(() => a.thread.setFilter(1, 'nosuch')).toThrow(/'nosuch' matches no function/);
    expect(() => a.thread.setFilter(1, 'leaf mid leaf mid leaf')).toThrow(/over 16 bytes/);
    expect(a.thread.registeredKeys).toEqual([1]);
    a.mid();
    expect(a.calls).toEqual([
      [1, IP.mid],
      [1, IP.leaf],
    ]);
    a.thread.close();
  });

  it('callRcu runs on the thread that queued it, after the grace period, never synchronously', async () => {
    const a = bind(SharedFtraceState.create());
    let ran = false;
    a.thread.callRcu(() => (ran = true));
    expect(ran).toBe(false);
    await new Promise((r) => setTimeout(r, 0));
    expect(ran).toBe(true);
    a.thread.close();
  });
});

const F = { INSIDE: 0, RELEASE: 1, LEFT: 2, CALLS: 3 };
let worker: Worker | null = null;
const others: Worker[] = [];
afterEach(async () => {
  await Promise.all([worker, ...others.splice(0)].map((w) => w?.terminate()));
  worker = null;
});

/** Starts a Worker that holds the callback of the ops registered as key 1, and waits until it is inside. */
function holdInWorker(state: SharedFtraceState, holdMs: number): Int32Array {
  const flags = new Int32Array(new SharedArrayBuffer(16));
  worker = new Worker(new URL('./threads/hold-worker.mjs', import.meta.url), { workerData: { module, stateBuffer: state.buffer, flags: flags.buffer, holdMs, F } });
  let error: unknown = null;
  worker.on('error', (e) => (error = e));
  while (Atomics.wait(flags, F.INSIDE, 0, 10_000) === 'not-equal' && Atomics.load(flags, F.INSIDE) === 0);
  if (error) throw error;
  expect(Atomics.load(flags, F.INSIDE)).toBe(1);
  return flags;
}

describe('grace periods across a Worker', () => {
  it('unregister of a DYNAMIC ops returns only after the Worker inside its callback has left it', () => {
    const state = SharedFtraceState.create();
    const main = bind(state);
    main.thread.register(1, { dynamic: true });
    const flags = holdInWorker(state, 200);
    expect(Atomics.load(flags, F.LEFT)).toBe(0);
    main.thread.unregister(1);
    // the Worker let go by itself (after 200 ms): unregister waited for that
    expect(Atomics.load(flags, F.LEFT)).toBe(1);
    main.thread.close();
  });

  it('on a thread that cannot block: the sync form throws EAGAIN before changing anything, the async form waits', async () => {
    const state = SharedFtraceState.create();
    const main = bind(state, { blocking: false });
    main.thread.register(1, { dynamic: true });
    const flags = holdInWorker(state, 10_000);
    let error: unknown;
    try {
      main.thread.unregister(1);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FtraceError);
    expect((error as FtraceError).errno).toBe(EAGAIN);
    expect((error as Error).message).toMatch(/use unregisterAsync/);
    expect(main.thread.registeredKeys).toEqual([1]);

    let settled = false;
    const done = main.thread.unregisterAsync(1).then(() => (settled = true));
    expect(main.thread.registeredKeys).toEqual([]); // unpublished at once
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false); // the Worker is still inside
    Atomics.store(flags, F.RELEASE, 1);
    Atomics.notify(flags, F.RELEASE);
    await done;
    expect(Atomics.load(flags, F.LEFT)).toBe(1);
    main.thread.close();
  });

  it('a static ops is not waited for (it is never freed)', () => {
    const state = SharedFtraceState.create();
    const main = bind(state);
    main.thread.register(1);
    const flags = holdInWorker(state, 10_000);
    main.thread.unregister(1);
    expect(Atomics.load(flags, F.LEFT)).toBe(0);
    Atomics.store(flags, F.RELEASE, 1);
    Atomics.notify(flags, F.RELEASE);
    main.thread.close();
  });

  it('two Workers that unregister each other\'s ops from inside their callbacks: EDEADLK, not a hang', () => {
    const state = SharedFtraceState.create();
    const main = bind(state);
    main.thread.register(10, { dynamic: true });
    main.thread.register(11, { dynamic: true });
    const flags = new Int32Array(new SharedArrayBuffer(12));
    for (const index of [0, 1]) {
      const w = new Worker(new URL('./threads/cycle-worker.mjs', import.meta.url), { workerData: { module, stateBuffer: state.buffer, flags: flags.buffer, index } });
      others.push(w);
    }
    for (const at of [1, 2]) while (Atomics.load(flags, at) === 0) Atomics.wait(flags, at, 0, 10_000);
    const outcomes = [Atomics.load(flags, 1), Atomics.load(flags, 2)];
    // at least one of them saw the cycle and gave up; the other then got its grace period
    expect(outcomes).toContain(2);
    expect(outcomes.every((o) => o === 1 || o === 2)).toBe(true);
    expect(main.thread.registeredKeys).toEqual([]); // both unregistered all the same
    expect(EDEADLK).toBe(35);
    main.thread.close();
  });
});
