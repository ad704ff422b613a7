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
import { canBlock, createOps, EAGAIN, EINVAL, Ftrace, FtraceError, FtraceThread, KIND_GUEST, SharedFtraceState, FTRACE_OPS_FL_DYNAMIC, FTRACE_OPS_FL_ENABLED, type FtraceOps } from '../src/ftrace/index.js';
import { instrument } from '../src/index.js';
import { CORE_WAT, coreModule, IP } from './helpers/core-fixture.js';
import { wat } from './helpers/wat.js';

interface ThreadOptions {
  /** the module (default: the core fixture; coreExitModule has exit hooks, and its ops log exits too) */
  module?: { module: WebAssembly.Module; metadata: typeof coreModule.metadata };
  /** no resolve: host keys do not run on this thread */
  noResolve?: boolean;
  /** resolve hands out ops created DYNAMIC */
  dynamicOps?: boolean;
  blocking?: boolean;
  skipGracePeriodForTest?: boolean;
}

/**
 * A "thread": its own Ftrace and instance of the core fixture, bound to
 * `state` (thread.attach, so its table serves guest registrations); key K
 * resolves to an ops logging `name K ip` (and `name K exit ip`). `inside`
 * runs in each call of its ops; `onEnter` at each function entry (the
 * fixture's env.enter: inside the function, between its mcount and its
 * mcount_exit), the guest callback's own entry (ip 7) included.
 */
function thread(state: SharedFtraceState, name: string, log: string[], opts: ThreadOptions = {}) {
  const m = opts.module ?? coreModule;
  const ft = new Ftrace(m.metadata, { moduleName: 'core' });
  const ops = new Map<number, FtraceOps>();
  const resolved: number[] = [];
  const hooks = { inside: (_ip: number) => {}, onEnter: (_ip: number) => {} };
  const t = new FtraceThread(ft, state, {
    ...(opts.noResolve
      ? {}
      : {
          resolve: (key: number) => {
            resolved.push(key);
            const o = createOps(
              (ip) => {
                log.push(`${name} ${key} ${ip}`);
                hooks.inside(ip);
              },
              {
                name: `${name}:${key}`,
                dynamic: opts.dynamicOps === true,
                ...(m.metadata.exitHooks
                  ? {
                      retfunc: (ip: number) => {
                        log.push(`${name} ${key} exit ${ip}`);
                        hooks.inside(ip);
                      },
                    }
                  : {}),
              },
            );
            ops.set(key, o);
            return o;
          },
        }),
    ...(opts.blocking === undefined ? {} : { blocking: opts.blocking }),
    ...(opts.skipGracePeriodForTest ? { skipGracePeriodForTest: true } : {}),
  });
  const instance = new WebAssembly.Instance(m.module, { env: { enter: (ip: number) => hooks.onEnter(ip), host: () => {} }, ftrace: t.imports });
  t.attach(instance);
  const memory = instance.exports['memory'] as WebAssembly.Memory;
  return {
    t,
    ft,
    ops,
    resolved,
    hooks,
    x: instance.exports as unknown as Record<string, (...a: number[]) => number>,
    /** calls of the guest callback (table slot 2) on this thread: the fixture counts them at 2000 */
    guestCalls: () => new Int32Array(memory.buffer)[2000 / 4]!,
  };
}

/** Threads a and b on a new state, logging to `log`; b with `bOpts`. */
function twoThreads(bOpts: ThreadOptions = {}) {
  const log: string[] = [];
  const state = SharedFtraceState.create();
  return { log, state, a: thread(state, 'a', log), b: thread(state, 'b', log, bOpts) };
}

/** The core fixture with exit hooks (mcount_exit). */
const coreExitModule = (() => {
  const r = instrument(wat(CORE_WAT), { exitHooks: true });
  return { metadata: r.metadata, module: new WebAssembly.Module(r.binary as Uint8Array<ArrayBuffer>) };
})();

/** Whether `p` is settled after a few microtasks (no task, no timer: a promise waiting on another thread's section is not). */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return done;
}

/** The functions an ops is called for (Ftrace.opsTest: its filter and notrace as resolved on its thread). */
const wants = (o: FtraceOps) => Object.entries(IP).filter(([, ip]) => ip >= IP.main && Ftrace.opsTest(o, ip)).map(([n]) => n);

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
    // registered so from the start: never on there; unregistered, and closed, cleanly
    a.t.register(2, { filter: ':mod:core' });
    b.t.sync();
    expect([b.resolved, b.ft.registered.map((o) => o.name)]).toEqual([[1, 2], ['b:1']]);
    a.t.unregister(2);
    b.t.sync();
    a.t.register(3, { filter: ':mod:core' });
    b.t.sync();
    b.t.close();
    expect([b.resolved, b.ft.registered, b.ft.rcu.crossThread]).toEqual([[1, 2, 3], [], null]);
  });
});

describe('a shared ftrace state: what each binding keeps to', () => {
  it('the generation moves by two at each write and is even between writes; another thread sees the same', () => {
    const state = SharedFtraceState.create();
    const a = thread(state, 'a', []);
    const g = state.generation;
    expect(g % 2).toBe(0);
    a.t.register(1);
    a.t.setFilter(1, 'leaf');
    expect([state.generation, SharedFtraceState.from(state.buffer).generation]).toEqual([g + 4, g + 4]);
  });

  it('a guest registration (KIND_GUEST) is not the host key of the same number: each thread calls its own table\'s function for it', () => {
    const { log, a, b } = twoThreads();
    const K = 0x40_0000; // a key where kind and key must not be mixed by floating point
    a.t.register(K, { filter: 'leaf' });
    a.t.register(K, { filter: 'fib', func: 2 }, KIND_GUEST);
    expect(() => a.t.register(K, {}, KIND_GUEST)).toThrow(new FtraceError(`ops ${K} is already registered`, 16));
    expect([a.t.isRegistered(K), a.t.isRegistered(K, KIND_GUEST), a.t.isRegistered(K + 1), a.t.isRegistered(K + 1, KIND_GUEST)]).toEqual([true, true, false, false]);
    expect(b.t.registeredKeys).toEqual([K]); // host keys only
    b.t.sync();
    b.x['leaf']!();
    b.x['fib']!(1);
    expect([log, b.resolved, b.guestCalls(), a.guestCalls()]).toEqual([[`b ${K} ${IP.leaf}`], [K], 1, 0]);
    a.t.unregister(K, KIND_GUEST);
    expect([a.t.isRegistered(K), a.t.isRegistered(K, KIND_GUEST)]).toEqual([true, false]);
    b.x['fib']!(1);
    b.x['leaf']!();
    expect([log.length, b.guestCalls()]).toEqual([2, 1]);
  });

  it('a thread without resolve runs only guest registrations, and those once it is attached to an instance with a table', () => {
    const log: string[] = [];
    const state = SharedFtraceState.create();
    const a = thread(state, 'a', log);
    a.t.register(1, { filter: 'leaf' });
    a.t.register(0x500, { filter: 'leaf', func: 2 }, KIND_GUEST);
    const ft = new Ftrace(coreModule.metadata, { moduleName: 'core' });
    const t = new FtraceThread(ft, state, {});
    expect(ft.registered).toEqual([]); // no table yet: the guest's callback cannot be called here
    const instance = new WebAssembly.Instance(coreModule.module, { env: { enter: () => {}, host: () => {} }, ftrace: t.imports });
    t.attach(instance);
    (instance.exports['leaf'] as () => void)();
    expect([ft.registered.map((o) => o.name), new Int32Array((instance.exports['memory'] as WebAssembly.Memory).buffer)[500]]).toEqual([['guest@1280'], 1]);
    expect(log).toEqual([]);
  });

  it('a register of a key unregistered meanwhile is a new registration on every thread; a change to one key leaves the others\' ops alone', () => {
    const { log, a, b } = twoThreads();
    a.t.register(1, { filter: 'leaf' });
    b.t.sync();
    const first = b.ops.get(1)!;
    a.t.unregister(1);
    a.t.register(1, { filter: 'leaf', dynamic: true });
    b.t.sync(); // b never saw the key gone: the registration's serial says it is new
    const second = b.ops.get(1)!;
    expect([b.resolved, first.flags & FTRACE_OPS_FL_ENABLED, second.flags, b.ft.mode]).toEqual([[1, 1], 0, FTRACE_OPS_FL_ENABLED | FTRACE_OPS_FL_DYNAMIC, 'list']);
    a.t.register(2, { filter: 'fib' });
    a.t.setFilter(2, 'main');
    b.t.sync();
    expect([b.resolved, b.ops.get(1)]).toEqual([[1, 1, 2], second]);
    expect(b.ft.registered).toEqual([second, b.ops.get(2)]);
  });

  it('a registration says DYNAMIC or not, whatever the ops resolve hands out', () => {
    const state = SharedFtraceState.create();
    const a = thread(state, 'a', []);
    const b = thread(state, 'b', [], { dynamicOps: true });
    a.t.register(1, { filter: 'leaf' });
    b.t.sync();
    expect([b.ops.get(1)!.flags, b.ft.mode]).toEqual([FTRACE_OPS_FL_ENABLED, 'direct']);
  });

  it('each slot keeps its own filter and notrace text', () => {
    const state = SharedFtraceState.create({ maxOps: 3, textBytes: 8 });
    const a = thread(state, 'a', []);
    const b = thread(state, 'b', []);
    a.t.register(1, { notrace: 'leaf' });
    a.t.register(2, { filter: 'fib', notrace: 'main' });
    a.t.register(3, { filter: 'helper_b', notrace: 'helper_a' });
    b.t.sync();
    expect([1, 2, 3].map((k) => wants(b.ops.get(k)!))).toEqual([['main', 'fib', 'helper_a', 'helper_b', 'callback'], ['fib'], ['helper_b']]);
    a.t.setFilter(2, 'leaf', false);
    a.t.setNotrace(2, 'fib');
    a.t.setNotrace(3, 'helper_b');
    b.t.sync();
    expect([1, 2, 3].map((k) => wants(b.ops.get(k)!))).toEqual([['main', 'fib', 'helper_a', 'helper_b', 'callback'], ['leaf'], []]);
    expect(b.ft.registered.map((o) => o.name)).toEqual(['b:1', 'b:2', 'b:3']);
  });

  it('text of exactly textBytes fits, also when added to an empty filter', () => {
    const state = SharedFtraceState.create({ textBytes: 8 });
    const a = thread(state, 'a', []);
    a.t.register(1, { filter: 'helper_a', notrace: 'helper_b' });
    a.t.register(2);
    a.t.setFilter(2, 'helper_b', false);
    expect([wants(a.ops.get(1)!), wants(a.ops.get(2)!)]).toEqual([['helper_a'], ['helper_b']]);
  });

  it('a thread that may not block: unregister of a DYNAMIC ops throws EAGAIN and changes nothing; of a static one it works; unregisterAsync waits', async () => {
    const log: string[] = [];
    const state = SharedFtraceState.create();
    const a = thread(state, 'a', log);
    const c = thread(state, 'c', log, { blocking: false });
    expect([a.t.mayBlock, c.t.mayBlock]).toEqual([true, false]);
    c.t.register(1, { dynamic: true, filter: 'leaf' });
    c.t.register(2, { filter: 'leaf' });
    expect(() => c.t.unregister(1)).toThrow(
      new FtraceError('ops 1 is DYNAMIC and this thread cannot block for the grace period: use unregisterAsync()', EAGAIN),
    );
    expect(() => c.t.unregister(3)).toThrow(new FtraceError('ops 3 is not registered', EINVAL));
    c.t.unregister(2);
    expect(c.t.registeredKeys).toEqual([1]);
    c.x['leaf']!();
    await c.t.unregisterAsync(1);
    c.x['leaf']!();
    expect([c.t.registeredKeys, log]).toEqual([[], [`c 1 ${IP.leaf}`]]);
    // the test switch: no wait, so no refusal either
    const d = thread(state, 'd', log, { blocking: false, skipGracePeriodForTest: true });
    d.t.register(4, { dynamic: true });
    d.t.unregister(4);
    expect(d.t.registeredKeys).toEqual([]);
  });

  it('grace periods wait for other threads\' read-side sections, and only for DYNAMIC ops (or when asked)', async () => {
    const state = SharedFtraceState.create();
    const a = thread(state, 'a', []);
    const b = thread(state, 'b', []);
    const d = thread(state, 'd', [], { skipGracePeriodForTest: true });
    a.t.register(1);
    a.t.register(2);
    a.t.register(3, { dynamic: true });
    a.t.register(4, { dynamic: true });
    b.ft.rcu.readLock(); // b is in a list walk
    a.t.unregister(1); // static: never waited for (it is never freed)
    expect(await settled(a.t.unregisterAsync(2))).toBe(true);
    const dynamicGone = a.t.unregisterAsync(3);
    const grace = a.t.synchronizeAsync();
    expect([await settled(dynamicGone), await settled(grace)]).toEqual([false, false]);
    d.t.unregister(4); // the test switch: no wait
    expect(a.t.registeredKeys).toEqual([]);
    b.ft.rcu.readUnlock();
    await Promise.all([dynamicGone, grace]);
  });

  it('a thread that holds only static ops dispatches outside any read-side section: no grace period waits for its callbacks', async () => {
    const { log, a, b } = twoThreads({ module: coreExitModule });
    a.t.register(1, { filter: 'leaf' });
    b.t.sync();
    expect(b.ft.mode).toBe('direct');
    const graces: Promise<void>[] = [];
    b.hooks.inside = () => graces.push(a.t.synchronizeAsync());
    b.x['leaf']!();
    expect(log).toEqual([`b 1 ${IP.leaf}`, `b 1 exit ${IP.leaf}`]);
    expect(await Promise.all(graces.map(settled))).toEqual([true, true]);
  });

  it('a thread holding a DYNAMIC ops dispatches entries and exits inside a read-side section, and leaves it', async () => {
    const { log, a, b } = twoThreads({ module: coreExitModule });
    a.t.register(1, { filter: 'leaf', dynamic: true });
    b.t.sync();
    const graces: Promise<void>[] = [];
    const inSection: boolean[] = [];
    b.hooks.inside = () => {
      inSection.push(b.ft.rcu.inReadSection);
      graces.push(a.t.synchronizeAsync());
    };
    b.x['leaf']!();
    expect([log, inSection, b.ft.rcu.inReadSection]).toEqual([[`b 1 ${IP.leaf}`, `b 1 exit ${IP.leaf}`], [true, true], false]);
    await Promise.all(graces);
  });

  it('a change that reaches a thread at a dispatch is applied before the call: the call goes only to the ops that want the function now', () => {
    const { log, a, b } = twoThreads({ module: coreExitModule });
    a.t.register(1, { filter: 'leaf' });
    b.t.sync();
    // the leaf guard is on from the old filter; the direct ops no longer wants leaf
    a.t.setFilter(1, 'fib');
    b.x['leaf']!();
    expect(log).toEqual([]);
    // a change that leaves the function wanted: the call goes through
    a.t.setNotrace(1, 'main');
    b.x['fib']!(1);
    expect(log).toEqual([`b 1 ${IP.fib}`, `b 1 exit ${IP.fib}`]);
    // the list: the first ops no longer wants fib, the second does
    log.length = 0;
    a.t.setFilter(1, 'leaf');
    a.t.register(2, { filter: 'fib' });
    b.x['fib']!(1);
    expect([log, b.ft.mode]).toEqual([[`b 2 ${IP.fib}`, `b 2 exit ${IP.fib}`], 'list']);
    // changes on another thread while b is inside leaf, applied at its exit: one that leaves leaf wanted, then an unregister
    log.length = 0;
    a.t.unregister(2);
    b.t.sync();
    const inLeaf = [() => a.t.setNotrace(1, 'main'), () => a.t.unregister(1)];
    b.hooks.onEnter = (ip) => {
      if (ip === IP.leaf) inLeaf.shift()!();
    };
    b.x['leaf']!();
    expect([log, b.ft.mode]).toEqual([[`b 1 ${IP.leaf}`, `b 1 exit ${IP.leaf}`], 'direct']);
    b.x['leaf']!();
    expect([log, b.ft.mode]).toEqual([[`b 1 ${IP.leaf}`, `b 1 exit ${IP.leaf}`, `b 1 ${IP.leaf}`], 'none']);
  });

  it('from() takes exactly a buffer made by create()', () => {
    const state = SharedFtraceState.create({ maxOps: 2, maxThreads: 2, textBytes: 4 });
    const copy = new SharedArrayBuffer(state.buffer.byteLength);
    new Uint8Array(copy).set(new Uint8Array(state.buffer));
    expect(SharedFtraceState.from(copy).textBytes).toBe(4);
    const refused = new TypeError('not a shared ftrace state buffer');
    expect(() => SharedFtraceState.from(new ArrayBuffer(state.buffer.byteLength) as unknown as SharedArrayBuffer)).toThrow(refused);
    expect(() => SharedFtraceState.from(new SharedArrayBuffer(state.buffer.byteLength))).toThrow(refused); // no header
    expect(() => SharedFtraceState.from(new SharedArrayBuffer(state.buffer.byteLength + 4))).toThrow(refused);
    expect(() => SharedFtraceState.from(new SharedArrayBuffer(31))).toThrow(refused);
  });
});
