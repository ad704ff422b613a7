/**
 * The shared ftrace state on one JavaScript thread: several bindings
 * (FtraceThread), each with its own Ftrace and instance, stand for the
 * threads of a shared-memory program. What needs real threads (a writer
 * blocking until another thread leaves its callback, EDEADLK) is in
 * test/threads-stress.test.ts and the Worker tests; this is the contract a
 * binding keeps on its own: how a change reaches each thread, the errors,
 * the limits, close().
 */
import { describe, expect, it } from 'vitest';
import { canBlock, createOps, EAGAIN, EINVAL, Ftrace, FtraceError, FtraceThread, SharedFtraceState, FTRACE_OPS_FL_DYNAMIC, FTRACE_OPS_FL_ENABLED, type FtraceOps } from '../src/ftrace/index.js';
import { coreModule, IP } from './helpers/core-fixture.js';

/** A "thread": its own Ftrace and instance of the core fixture, bound to `state`; key K resolves to an ops logging `name K ip`. */
function thread(state: SharedFtraceState, name: string, log: string[]) {
  const ft = new Ftrace(coreModule.metadata, { moduleName: 'core' });
  const ops = new Map<number, FtraceOps>();
  const t = new FtraceThread(ft, state, {
    resolve: (key) => {
      const o = createOps((ip) => log.push(`${name} ${key} ${ip}`), { name: `${name}:${key}` });
      ops.set(key, o);
      return o;
    },
  });
  const instance = new WebAssembly.Instance(coreModule.module, { env: { enter: () => {}, host: () => {} }, ftrace: t.imports });
  ft.attach(instance);
  return { t, ft, ops, x: instance.exports as unknown as Record<string, (...a: number[]) => number> };
}

describe('a shared ftrace state, threads bound on one JS thread', () => {
  it('a register on one thread reaches the others: at once on the writer, at the next callGuest, sync or dispatch elsewhere', () => {
    const log: string[] = [];
    const state = SharedFtraceState.create();
    const a = thread(state, 'a', log);
    const b = thread(state, 'b', log);
    const c = thread(state, 'c', log);
    a.t.register(1, { filter: 'leaf' });
    expect([a.t.registeredKeys, b.t.registeredKeys]).toEqual([[1], [1]]);
    a.x['leaf']!();
    b.x['leaf']!(); // b's guards are all off: it has not seen the register yet
    b.t.callGuest(() => b.x['leaf']!());
    c.t.sync();
    c.x['leaf']!();
    c.x['fib']!(3);
    expect(log).toEqual([`a 1 ${IP.leaf}`, `b 1 ${IP.leaf}`, `c 1 ${IP.leaf}`]);
    expect([a.ft.mode, b.ft.mode, c.ft.mode]).toEqual(['direct', 'direct', 'direct']);
  });

  it('a dispatch takes up a change: a second ops, then an unregister, seen by a thread at its next traced call', () => {
    const log: string[] = [];
    const state = SharedFtraceState.create();
    const a = thread(state, 'a', log);
    const b = thread(state, 'b', log);
    a.t.register(1, { filter: 'leaf' });
    b.t.sync();
    a.t.register(2, { filter: 'leaf', notrace: 'fib' });
    b.x['leaf']!(); // b's leaf guard is on: this dispatch applies register 2 first
    expect(log).toEqual([`b 1 ${IP.leaf}`, `b 2 ${IP.leaf}`]);
    expect(b.ft.mode).toBe('list');
    log.length = 0;
    a.t.unregister(1);
    expect(a.t.registeredKeys).toEqual([2]);
    b.x['leaf']!();
    expect(log).toEqual([`b 2 ${IP.leaf}`]);
    expect(b.ops.get(1)!.flags & FTRACE_OPS_FL_ENABLED).toBe(0);
    expect(b.ft.registered.map((o) => o.name)).toEqual(['b:2']);
  });

  it('filters and notrace travel as text: reset replaces, reset false adds', () => {
    const log: string[] = [];
    const state = SharedFtraceState.create();
    const a = thread(state, 'a', log);
    const b = thread(state, 'b', log);
    a.t.register(7);
    b.t.sync();
    const wanted = () => {
      b.t.sync();
      return b.ft.enabledFunctions().map((f) => f.name);
    };
    expect(wanted()).toEqual(['main', 'fib', 'leaf', 'helper_a', 'helper_b', 'callback']);
    a.t.setFilter(7, 'fib');
    expect(wanted()).toEqual(['fib']);
    a.t.setFilter(7, 'leaf', false);
    expect(wanted()).toEqual(['fib', 'leaf']);
    a.t.setFilter(7, 'main');
    expect(wanted()).toEqual(['main']);
    a.t.setFilter(7, '');
    a.t.setNotrace(7, 'fib');
    a.t.setNotrace(7, 'leaf', false);
    expect(wanted()).toEqual(['main', 'helper_a', 'helper_b', 'callback']);
    a.t.setNotrace(7, 'main');
    expect(wanted()).toEqual(['fib', 'leaf', 'helper_a', 'helper_b', 'callback']);
    expect(log).toEqual([]);
  });

  it('DYNAMIC travels with the register: every thread calls the ops through the list walk', async () => {
    const log: string[] = [];
    const state = SharedFtraceState.create();
    const a = thread(state, 'a', log);
    const b = thread(state, 'b', log);
    a.t.register(3, { dynamic: true, filter: 'leaf' });
    a.t.register(4, { filter: 'fib' });
    b.t.sync();
    expect([b.ops.get(3)!.flags & FTRACE_OPS_FL_DYNAMIC, b.ops.get(4)!.flags & FTRACE_OPS_FL_DYNAMIC]).toEqual([FTRACE_OPS_FL_DYNAMIC, 0]);
    a.t.unregister(4);
    b.t.sync();
    expect(b.ft.mode).toBe('list');
    // no other thread is inside a read-side section: the grace period is over at once
    a.t.unregister(3);
    expect(a.t.registeredKeys).toEqual([]);
    a.t.register(5, { dynamic: true });
    await a.t.unregisterAsync(5);
    expect(b.t.registeredKeys).toEqual([]);
    b.t.sync();
    expect([b.ft.mode, b.ft.registered]).toEqual(['none', []]);
  });

  it('an async grace period waits for a thread inside a read-side section to leave it', async () => {
    const state = SharedFtraceState.create();
    const a = thread(state, 'a', []);
    const b = thread(state, 'b', []);
    let done = false;
    b.ft.rcu.readLock(); // b is in a list walk
    b.ft.rcu.readLock(); // nested: only the outermost counts
    a.t.register(9, { dynamic: true });
    const unregistered = a.t.unregisterAsync(9).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(done).toBe(false);
    b.ft.rcu.readUnlock();
    await new Promise((r) => setTimeout(r, 30));
    expect(done).toBe(false);
    b.ft.rcu.readUnlock();
    await unregistered;
    expect(done).toBe(true);
    const order: string[] = [];
    b.ft.rcu.readLock();
    a.t.callRcu(() => order.push('reclaimed'));
    await new Promise((r) => setTimeout(r, 30));
    order.push('b leaves');
    b.ft.rcu.readUnlock();
    await a.t.synchronizeAsync();
    await new Promise((r) => setTimeout(r, 30));
    expect(order).toEqual(['b leaves', 'reclaimed']);
  });

  it('refuses what it cannot do, changing nothing: EBUSY, unknown keys, text that matches nothing or does not fit, no free slot', () => {
    const log: string[] = [];
    const state = SharedFtraceState.create({ maxOps: 2, textBytes: 8 });
    expect(state.textBytes).toBe(8);
    const a = thread(state, 'a', log);
    a.t.register(1);
    expect(() => a.t.register(1)).toThrow(new FtraceError('ops 1 is already registered', 16));
    expect(() => a.t.unregister(2)).toThrow(new FtraceError('ops 2 is not registered', EINVAL));
    expect(() => a.t.setFilter(2, 'leaf')).toThrow(new FtraceError('ops 2 is not registered', EINVAL));
    expect(() => a.t.setFilter(1, 'nosuch')).toThrow(new FtraceError("'nosuch' matches no function", EINVAL));
    expect(() => a.t.register(2, { filter: 'helper_a helper_b' })).toThrow(new FtraceError('filter text over 8 bytes cannot be shared (SharedFtraceState textBytes)', EINVAL));
    expect(() => a.t.register(2, { notrace: 'helper_a helper_b' })).toThrow('filter text over 8 bytes');
    a.t.setFilter(1, 'fib');
    expect(() => a.t.setFilter(1, 'helper_a', false)).toThrow('filter text over 8 bytes');
    a.t.register(2, { filter: 'leaf' });
    expect(() => a.t.register(3)).toThrow(new FtraceError('more than 2 ops registered in the shared state', EAGAIN));
    expect(a.t.registeredKeys).toEqual([1, 2]);
    a.t.sync();
    expect(a.ft.enabledFunctions().map((f) => f.name)).toEqual(['fib', 'leaf']);
    // a freed slot is used again
    a.t.unregister(1);
    a.t.register(3, { filter: 'main' });
    expect(a.t.registeredKeys.sort()).toEqual([2, 3]);
    expect(log).toEqual([]);
  });

  it('a state for N threads takes N bindings; close() frees the slot and unregisters the thread\'s ops locally', () => {
    const log: string[] = [];
    const state = SharedFtraceState.create({ maxThreads: 2 });
    const a = thread(state, 'a', log);
    const b = thread(state, 'b', log);
    expect(() => thread(state, 'c', log)).toThrow(new FtraceError('more than 2 threads share this ftrace state', EAGAIN));
    a.t.register(1, { filter: 'leaf' });
    b.t.sync();
    b.t.close();
    expect([b.ft.registered, b.ft.rcu.crossThread, b.ops.get(1)!.flags & FTRACE_OPS_FL_ENABLED]).toEqual([[], null, 0]);
    const c = thread(state, 'c', log);
    c.x['leaf']!(); // a binding takes up the state when it is made
    expect(log).toEqual([`c 1 ${IP.leaf}`]);
    expect(a.t.registeredKeys).toEqual([1]);
  });

  it('one binding per Ftrace; resolve must hand out an unregistered ops', () => {
    const state = SharedFtraceState.create();
    const a = thread(state, 'a', []);
    expect(() => new FtraceThread(a.ft, state, { resolve: () => createOps(() => {}) })).toThrow(new FtraceError('this Ftrace is already bound to a shared state', EINVAL));
    const ft = new Ftrace(coreModule.metadata);
    const taken = createOps(() => {});
    ft.register(taken);
    a.t.register(1);
    expect(() => new FtraceThread(ft, state, { resolve: () => taken })).toThrow(new FtraceError('resolve(1) returned a registered ops', EINVAL));
  });

  it('another thread opens the state from its buffer; anything else is refused', () => {
    const log: string[] = [];
    const state = SharedFtraceState.create({ maxOps: 3, maxThreads: 3, textBytes: 10 });
    const a = thread(state, 'a', log);
    a.t.register(5, { filter: 'fib' });
    const there = SharedFtraceState.from(state.buffer);
    expect([there.textBytes, there.generation]).toEqual([12, state.generation]);
    const b = thread(there, 'b', log);
    expect(b.t.registeredKeys).toEqual([5]);
    b.x['fib']!(1);
    expect(log).toEqual([`b 5 ${IP.fib}`]);
    expect(() => SharedFtraceState.from(new ArrayBuffer(64) as unknown as SharedArrayBuffer)).toThrow(new TypeError('not a shared ftrace state buffer'));
    expect(() => SharedFtraceState.from(new SharedArrayBuffer(8))).toThrow('not a shared ftrace state buffer');
  });

  it('a filter that selects nothing in a thread\'s module keeps the ops off there (an empty hash would mean every function)', () => {
    const log: string[] = [];
    const state = SharedFtraceState.create();
    const a = thread(state, 'a', log);
    const b = thread(state, 'b', log);
    b.ft.moduleName = 'other';
    a.t.register(1, { filter: 'leaf' });
    b.t.sync();
    expect(b.ft.registered.map((o) => o.name)).toEqual(['b:1']);
    a.t.setFilter(1, ':mod:core');
    b.t.sync();
    expect([a.ft.registered.map((o) => o.name), b.ft.registered]).toEqual([['a:1'], []]);
    b.x['leaf']!();
    a.t.setFilter(1, 'leaf');
    b.t.sync();
    b.x['leaf']!();
    expect(log).toEqual([`b 1 ${IP.leaf}`]);
    expect(canBlock()).toBe(true); // Node's main thread may block
  });
});
