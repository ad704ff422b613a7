/**
 * The core's edges: errors and their messages, views and counters that the
 * scenario tests do not reach (written to kill the mutants `npm run mutate`
 * left alive).
 */
import { describe, expect, it } from 'vitest';
import { createOps, EINVAL, Ftrace, FtraceError, FtraceHash, FTRACE_OPS_FL_DYNAMIC, GracePeriod } from '../src/ftrace/index.js';
import { coreInstance, coreModule, IP } from './helpers/core-fixture.js';

describe('core edges', () => {
  it('FtraceHash: sorted, deduplicated, out-of-range ips absent', () => {
    const h = FtraceHash.of([40, 3, 3, 7]);
    expect([...h]).toEqual([3, 7, 40]);
    expect(h.size).toBe(3);
    expect([h.has(3), h.has(4), h.has(40), h.has(41), h.has(1000)]).toEqual([true, false, true, false, false]);
    expect(FtraceHash.of([])).toBe(FtraceHash.EMPTY);
  });

  it('GracePeriod: inReadSection follows the read-side nesting', () => {
    const g = new GracePeriod();
    expect(g.inReadSection).toBe(false);
    g.readLock();
    g.readLock();
    g.readUnlock();
    expect(g.inReadSection).toBe(true);
    g.readUnlock();
    expect(g.inReadSection).toBe(false);
  });
});

describe('registration edges', () => {
  it('refuses to unregister an ops registered on another instance, and a module without the section', () => {
    const a = coreInstance();
    const b = coreInstance();
    const ops = createOps(() => {});
    a.ft.register(ops);
    expect(() => b.ft.unregister(ops)).toThrow(new FtraceError("ops 'ops" + ops.name.slice(3) + "' is not registered", EINVAL));
    expect(b.ft.registered).toEqual([]);
    a.ft.unregister(ops);
    const plain = new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    expect(() => Ftrace.forModule(plain)).toThrow('the module is not instrumented by wasm-ftrace (no wasm-ftrace section)');
  });

  it('names an ops it was not given a name for, and takes dynamic and retfunc from the options', () => {
    const a = createOps(() => {});
    const b = createOps(() => {});
    expect(a.name).toMatch(/^ops\d+$/);
    expect(Number(b.name.slice(3))).toBe(Number(a.name.slice(3)) + 1);
    expect(a.flags).toBe(0);
    expect(a.retfunc).toBeUndefined();
    const retfunc = () => {};
    const d = createOps(() => {}, { name: 'd', dynamic: true, retfunc });
    expect([d.name, d.flags, d.retfunc]).toEqual(['d', FTRACE_OPS_FL_DYNAMIC, retfunc]);
    expect([d.busy, d.recursionMissed, d.filterHash, d.notraceHash]).toEqual([0, 0, FtraceHash.EMPTY, FtraceHash.EMPTY]);
  });

  it('flags an ops with an address outside static data DYNAMIC, one inside it not', () => {
    const { ft } = coreInstance();
    const inside = createOps(() => {});
    inside.address = 1024;
    const outside = createOps(() => {});
    outside.address = 8192;
    expect([ft.coreKernelData(1024), ft.coreKernelData(8192)]).toEqual([true, false]);
    ft.register(inside);
    expect(inside.flags & FTRACE_OPS_FL_DYNAMIC).toBe(0);
    expect(ft.mode).toBe('direct');
    ft.register(outside);
    expect(outside.flags & FTRACE_OPS_FL_DYNAMIC).toBe(FTRACE_OPS_FL_DYNAMIC);
  });

  it('keeps counting recursion misses of an ops after it is unregistered', () => {
    const { ft, exports } = coreInstance();
    const a = createOps(() => void exports['leaf']!());
    ft.register(a);
    exports['leaf']!();
    expect(ft.stats.recursionMissed).toBe(1);
    ft.unregister(a);
    expect(a.recursionMissed).toBe(0);
    expect(ft.stats).toEqual({ recursionMissed: 1, rcuPending: 0 });
  });
});

describe('before attach: the guards are the pass defaults (all on)', () => {
  it('the direct call still tests the hash, entries and exits', async () => {
    const { instrument } = await import('../src/index.js');
    const { wat } = await import('./helpers/wat.js');
    const { CORE_WAT } = await import('./helpers/core-fixture.js');
    const r = instrument(wat(CORE_WAT), { exitHooks: true });
    const module = new WebAssembly.Module(r.binary as Uint8Array<ArrayBuffer>);
    const ft = Ftrace.forModule(module, { moduleName: 'early' });
    expect(ft.moduleName).toBe('early');
    const log: string[] = [];
    const ops = createOps((ip) => log.push(`>${ip}`), { retfunc: (ip) => log.push(`<${ip}`) });
    ft.setFilter(ops, 'leaf');
    ft.register(ops);
    expect(ft.mode).toBe('direct');
    // no attach: a start function would run like this
    ft.mcount(IP.fib, IP.main);
    ft.mcountExit(IP.fib);
    ft.mcount(IP.leaf, IP.main);
    ft.mcountExit(IP.leaf);
    expect(log).toEqual([`>${IP.leaf}`, `<${IP.leaf}`]);
  });

  it('attach names the missing control export (or guard global)', async () => {
    const ft = new Ftrace(coreModule.metadata);
    const bare = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])));
    expect(() => ft.attach(bare)).toThrow(/^the instance does not export __ftrace_control or __ftrace_guard_0: was it instrumented by wasm-ftrace\?$/);
  });
});

describe('the switch and the views', () => {
  it('ftrace_enabled off: no callbacks, no enabled functions, mode none; on again restores them', () => {
    const { ft, exports, hooks } = coreInstance();
    const calls: number[] = [];
    const ops = createOps((ip) => calls.push(ip));
    ft.setFilter(ops, 'leaf');
    ft.register(ops);
    expect(ft.enabledFunctions()).toEqual([{ ip: IP.leaf, name: 'leaf', callbacks: 1, direct: true }]);
    ft.ftraceEnabled = false;
    expect([ft.ftraceEnabled, ft.mode, ft.enabledFunctions()]).toEqual([false, 'none', []]);
    hooks.length = 0;
    exports['leaf']!();
    expect([calls, hooks]).toEqual([[], []]);
    ft.ftraceEnabled = true;
    exports['leaf']!();
    expect(calls).toEqual([IP.leaf]);
    const list = createOps(() => {}, { dynamic: true });
    ft.setFilter(list, 'leaf');
    ft.register(list);
    expect(ft.enabledFunctions()).toEqual([{ ip: IP.leaf, name: 'leaf', callbacks: 2, direct: false }]);
  });

  it('selectFunctions resolves text in this module; :mod: takes its name', () => {
    const { ft } = coreInstance();
    expect([...ft.selectFunctions('helper_* !helper_b')]).toEqual([IP.helper_a]);
    expect([...ft.selectFunctions('*:mod:core')]).toHaveLength(6);
    expect(() => ft.selectFunctions('*:mod:other')).toThrow("'*:mod:other' matches no function");
    expect(ft.filterUniverse.moduleName).toBe('core');
  });

  it('rcuPending counts reclaimers not yet run', async () => {
    const { ft } = coreInstance();
    ft.callRcu(() => {});
    ft.callRcu(() => {});
    expect(ft.stats.rcuPending).toBe(2);
    await ft.synchronize();
    expect(ft.stats.rcuPending).toBe(0);
  });
});

describe('guest API edges', () => {
  const guestModule = async (exportsText: string) => {
    const { instrument } = await import('../src/index.js');
    const { wat } = await import('./helpers/wat.js');
    const r = instrument(
      wat(`(module
        (import "ftrace" "register_ftrace_function" (func $reg (param i32) (result i32)))
        (memory ${exportsText.includes('mem') ? '(export "mem")' : ''} 1)
        (table ${exportsText.includes('tab') ? '(export "tab")' : ''} 2 funcref)
        (elem (i32.const 1) $cb)
        (data (i32.const 64) "\\01\\00\\00\\00")
        (func $cb (param i32 i32))
        (func (export "reg") (result i32) (call $reg (i32.const 64))))`),
      { notrace: ['cb'] },
    );
    const module = new WebAssembly.Module(r.binary as Uint8Array<ArrayBuffer>);
    const ft = Ftrace.forModule(module);
    const instance = new WebAssembly.Instance(module, { ftrace: ft.imports });
    return { ft, instance, reg: instance.exports['reg'] as () => number };
  };

  it('before attach there is no memory: -ENODEV, said in lastError', async () => {
    const { ft, reg } = await guestModule('mem tab');
    expect(reg()).toBe(-19);
    expect(ft.guest.lastError).toBe('the guest exports no memory');
  });

  it('finds memory and table under any name when there is one of each', async () => {
    const { ft, instance, reg } = await guestModule('mem tab');
    ft.attach(instance);
    expect(reg()).toBe(0);
    expect(ft.guest.lastError).toBeNull();
    expect(ft.mode).toBe('direct');
  });

  it('without an exported table: -EINVAL naming the linker flag', async () => {
    const { ft, instance, reg } = await guestModule('mem');
    ft.attach(instance);
    expect(reg()).toBe(-22);
    expect(ft.guest.lastError).toBe('the guest exports no function table (link with --export-table)');
  });
});

describe('quiescent points', () => {
  it('a microtask while a host call is in flight (a suspended guest) is not one: its return is', async () => {
    const g = new GracePeriod();
    const log: string[] = [];
    g.enterGuest();
    g.callRcu(() => log.push('reclaimed'));
    await Promise.resolve();
    expect([log, g.pending, g.hostDepth]).toEqual([[], 1, 1]);
    g.leaveGuest();
    expect([log, g.pending, g.hostDepth]).toEqual([['reclaimed'], 0, 0]);
  });

  it('a reclaimer queued by a reclaimer waits for the next quiescent point', async () => {
    const g = new GracePeriod();
    const log: string[] = [];
    g.callRcu(() => {
      log.push('first');
      g.callRcu(() => log.push('second'));
    });
    await Promise.resolve();
    expect(log).toEqual(['first']);
    await Promise.resolve();
    expect(log).toEqual(['first', 'second']);
  });

  it('the default error report rethrows a reclaimer error on its own, later', async () => {
    const g = new GracePeriod();
    const thrown: unknown[] = [];
    const original = globalThis.queueMicrotask;
    globalThis.queueMicrotask = (fn) =>
      original(() => {
        try {
          fn();
        } catch (e) {
          thrown.push(e);
        }
      });
    try {
      g.callRcu(() => {
        throw new Error('boom');
      });
      await new Promise((r) => setTimeout(r, 0));
    } finally {
      globalThis.queueMicrotask = original;
    }
    expect(thrown.map((e) => (e as Error).message)).toEqual(['boom']);
  });
});

describe('filters and guards', () => {
  it('reset = false appends to the filter and notrace hashes (>>)', () => {
    const { ft } = coreInstance();
    const ops = createOps(() => {});
    ft.setFilter(ops, 'fib');
    ft.setFilter(ops, 'leaf', false);
    expect([...ops.filterHash]).toEqual([IP.fib, IP.leaf]);
    ft.setFilter(ops, 'main');
    expect([...ops.filterHash]).toEqual([IP.main]);
    ft.setNotrace(ops, 'fib');
    ft.setNotrace(ops, 'leaf', false);
    expect([...ops.notraceHash]).toEqual([IP.fib, IP.leaf]);
  });

  it('through __ftrace_control: every guard word at attach, then only the words that change; the token reset when a guard turns on', () => {
    const ft = new Ftrace(coreModule.metadata);
    const writes: [number, number][] = [];
    ft.attach({ exports: { __ftrace_control: (index: number, value: number) => void writes.push([index, value]) } } as unknown as WebAssembly.Instance);
    expect(writes).toEqual(Array.from({ length: coreModule.metadata.guardWords }, (_, w) => [w, 0]));
    writes.length = 0;
    const ops = createOps(() => {});
    ft.setFilter(ops, 'fib leaf');
    ft.register(ops);
    // the guard word (0), then the caller token reset (-1)
    expect(writes).toEqual([
      [0, (1 << IP.fib) | (1 << IP.leaf)],
      [-1, 0],
    ]);
    writes.length = 0;
    ft.setNotrace(ops, 'leaf');
    expect(writes).toEqual([[0, 1 << IP.fib]]); // a bit turned off: no token reset
    writes.length = 0;
    ft.setNotrace(ops, 'leaf');
    expect(writes).toEqual([]); // nothing changed: nothing written
    ft.unregister(ops);
    expect(writes).toEqual([[0, 0]]);
  });
});

describe('survivors of npm run mutate, killed', () => {
  it('ip 0 is a function like any other in a hash (a module without imports)', () => {
    expect(FtraceHash.of([0]).has(0)).toBe(true);
    expect([...FtraceHash.of([0])]).toEqual([0]);
  });

  it('a FilterSpec is resolved without the per-module check text gets (its holder checks across modules)', async () => {
    const { FilterSpec } = await import('../src/abi/index.js');
    const { ft } = coreInstance();
    const ops = createOps(() => {});
    ft.setFilter(ops, FilterSpec.parse('leaf nosuch'));
    expect([...ops.filterHash]).toEqual([IP.leaf]);
    expect(() => ft.setFilter(ops, 'leaf nosuch')).toThrow("'nosuch' matches no function");
  });

  it('FtraceError says its name and errno', () => {
    const e = new FtraceError('busy', 16);
    expect([e.name, e.message, e.errno, e instanceof Error]).toEqual(['FtraceError', 'busy', 16, true]);
  });

  it('an uncounted host call returning inside a walk is no quiescent point', () => {
    const g = new GracePeriod();
    const log: string[] = [];
    g.readLock(); // a list walk below (its host call into the instance was not counted)
    g.enterGuest();
    g.callRcu(() => log.push('reclaimed'));
    g.leaveGuest();
    expect(log).toEqual([]);
    g.readUnlock();
  });

  it('synchronize() called while a flush finds the section held resolves when it is left', async () => {
    const g = new GracePeriod();
    let done = false;
    g.readLock();
    void g.synchronize().then(() => (done = true));
    await new Promise((r) => setTimeout(r, 0)); // the flush ran and found depth 1
    expect(done).toBe(false);
    g.readUnlock();
    await new Promise((r) => setTimeout(r, 0));
    expect(done).toBe(true);
  });
});

/** The core fixture built with exit hooks, attached, with its exports. */
async function exitInstance() {
  const { instrument } = await import('../src/index.js');
  const { wat } = await import('./helpers/wat.js');
  const { CORE_WAT } = await import('./helpers/core-fixture.js');
  const module = new WebAssembly.Module(instrument(wat(CORE_WAT), { exitHooks: true }).binary as Uint8Array<ArrayBuffer>);
  const ft = Ftrace.forModule(module, { moduleName: 'core' });
  const instance = new WebAssembly.Instance(module, { env: { enter: () => {}, host: () => {} }, ftrace: ft.imports });
  ft.attach(instance);
  return { ft, module, exports: instance.exports as unknown as Record<string, (...a: number[]) => number> };
}

describe('dispatch: exits, the switch before attach, notrace in the list walk', () => {
  it('ftrace_enabled off holds before attach too: no entry or exit reaches an ops, direct or listed', async () => {
    const { module } = await exitInstance();
    const ft = Ftrace.forModule(module); // not attached: a start function runs like this
    const log: string[] = [];
    const a = createOps((ip) => log.push(`a>${ip}`), { retfunc: (ip) => log.push(`a<${ip}`) });
    ft.register(a);
    ft.ftraceEnabled = false;
    ft.mcount(IP.leaf, IP.main);
    ft.mcountExit(IP.leaf);
    const b = createOps((ip) => log.push(`b>${ip}`), { dynamic: true, retfunc: (ip) => log.push(`b<${ip}`) });
    ft.register(b);
    ft.mcount(IP.leaf, IP.main);
    ft.mcountExit(IP.leaf);
    expect(log).toEqual([]);
    ft.ftraceEnabled = true;
    ft.mcount(IP.leaf, IP.main);
    ft.mcountExit(IP.leaf);
    expect(log).toEqual([`a>${IP.leaf}`, `b>${IP.leaf}`, `a<${IP.leaf}`, `b<${IP.leaf}`]);
  });

  it('an ops without a retfunc is never called on exit (a module with exit hooks, before attach)', async () => {
    const { module } = await exitInstance();
    const ft = Ftrace.forModule(module);
    const entries: number[] = [];
    ft.register(createOps((ip) => entries.push(ip)));
    expect(ft.mode).toBe('direct');
    ft.mcount(IP.leaf, IP.main);
    expect(() => ft.mcountExit(IP.leaf)).not.toThrow();
    expect(entries).toEqual([IP.leaf]);
  });

  it('a DYNAMIC ops is called inside a read-side section on exit as on entry (it may be freed)', async () => {
    const { ft, exports } = await exitInstance();
    const seen: string[] = [];
    const ops = createOps(() => seen.push(`> ${ft.rcu.inReadSection}`), { dynamic: true, retfunc: () => seen.push(`< ${ft.rcu.inReadSection}`) });
    ft.setFilter(ops, 'leaf');
    ft.register(ops);
    exports['leaf']!();
    expect(seen).toEqual(['> true', '< true']);
  });

  it('an ops that calls traced wasm from its callback misses the entries and the exits under it, and counts both (direct and list)', async () => {
    for (const dynamic of [false, true]) {
      const { ft, exports } = await exitInstance();
      const exits: number[] = [];
      const ops = createOps(() => void exports['leaf']!(), { dynamic, retfunc: (ip) => exits.push(ip) });
      ft.setFilter(ops, 'helper_a leaf');
      ft.register(ops);
      expect(ft.mode).toBe(dynamic ? 'list' : 'direct');
      exports['helper_a']!(); // helper_a's callback calls leaf, then helper_a calls leaf, whose callback calls leaf
      expect(exits, `dynamic ${dynamic}`).toEqual([IP.leaf, IP.helper_a]);
      expect(ft.stats.recursionMissed, `dynamic ${dynamic}`).toBe(4);
    }
  });

  it('with several ops, each one\'s notrace holds for it alone', () => {
    const { ft, exports } = coreInstance();
    const seen: string[] = [];
    const all = createOps((ip) => seen.push(`all ${ip}`));
    const some = createOps((ip) => seen.push(`some ${ip}`));
    ft.setNotrace(some, 'leaf');
    ft.register(all);
    ft.register(some);
    expect(ft.mode).toBe('list');
    exports['helper_a']!(); // helper_a, then leaf
    expect(seen).toEqual([`all ${IP.helper_a}`, `some ${IP.helper_a}`, `all ${IP.leaf}`]);
  });
});

describe('the module around the core', () => {
  /** The core fixture's metadata grown to 41 functions: two guard words, exit hooks. */
  const wide = () => ({
    ...coreModule.metadata,
    names: Array.from({ length: 41 }, (_, ip) => coreModule.metadata.names[ip] ?? (ip === 40 ? 'far' : `f${ip}`)),
    traced: [...coreModule.metadata.traced, 40],
    guardWords: 2,
    exitHooks: true,
  });

  it('guard words past the first, and the exit words after the entry words, through __ftrace_control', () => {
    const ft = new Ftrace(wide());
    const writes: [number, number][] = [];
    ft.attach({ exports: { __ftrace_control: (index: number, value: number) => void writes.push([index, value]) } } as unknown as WebAssembly.Instance);
    expect(writes).toEqual([[0, 0], [1, 0], [2, 0], [3, 0]]);
    writes.length = 0;
    const ops = createOps(() => {}, { retfunc: () => {} });
    ft.setFilter(ops, 'far');
    ft.register(ops);
    expect(writes).toEqual([[1, 1 << 8], [3, 1 << 8], [-1, 0]]);
    writes.length = 0;
    ft.setFilter(ops, 'far');
    expect(writes).toEqual([]); // nothing changed: nothing written
  });

  it('a module of an earlier build: guards, exit guards and the caller token are exported globals', () => {
    const ft = new Ftrace(wide());
    const i32 = () => new WebAssembly.Global({ value: 'i32', mutable: true }, -1);
    const exports = { __ftrace_guard_0: i32(), __ftrace_guard_1: i32(), __ftrace_exit_guard_0: i32(), __ftrace_exit_guard_1: i32(), __ftrace_parent: new WebAssembly.Global({ value: 'i64', mutable: true }, 5n) };
    ft.attach({ exports } as unknown as WebAssembly.Instance);
    expect(Object.values(exports).map((g) => g.value)).toEqual([0, 0, 0, 0, 5n]);
    const ops = createOps(() => {}, { retfunc: () => {} });
    ft.setFilter(ops, 'far');
    ft.register(ops);
    expect(Object.values(exports).map((g) => g.value)).toEqual([0, 1 << 8, 0, 1 << 8, -1n]);
    const noToken = new Ftrace(wide());
    const { __ftrace_parent: _, ...rest } = exports;
    noToken.attach({ exports: rest } as unknown as WebAssembly.Instance);
    noToken.register(createOps(() => {}));
    expect(exports.__ftrace_guard_0.value).not.toBe(0);
    // built without exit hooks: no exit guard globals to look for
    const entriesOnly = new Ftrace({ ...wide(), exitHooks: false });
    const g0 = i32();
    entriesOnly.attach({ exports: { __ftrace_guard_0: g0, __ftrace_guard_1: i32() } } as unknown as WebAssembly.Instance);
    entriesOnly.register(createOps(() => {}));
    expect(g0.value).not.toBe(0);
  });

  it("a module without a name is 'wasm' to :mod: filters", () => {
    const ft = new Ftrace({ ...coreModule.metadata, moduleName: null });
    expect(ft.moduleName).toBe('wasm');
    expect([...ft.selectFunctions(':mod:wasm')]).toEqual(coreModule.metadata.traced);
  });

  it('register of a registered ops says which, with EBUSY', () => {
    const { ft } = coreInstance();
    const ops = createOps(() => {}, { name: 'twice' });
    ft.register(ops);
    expect(() => ft.register(ops)).toThrow(new FtraceError("ops 'twice' is already registered", 16));
  });

  it('resolveFilter: the hash a spec selects here, and whether it selects only elsewhere', async () => {
    const { FilterSpec } = await import('../src/abi/index.js');
    const { ft } = coreInstance();
    const here = ft.resolveFilter(FilterSpec.parse('leaf'));
    expect([[...here.hash], here.selectsNothing]).toEqual([[IP.leaf], false]);
    const elsewhere = ft.resolveFilter(FilterSpec.parse('in_another_module'));
    expect([here.hash.size > 0, elsewhere.hash.size, elsewhere.selectsNothing]).toEqual([true, 0, true]);
  });

  it('setNotrace replaces by default', () => {
    const { ft } = coreInstance();
    const ops = createOps(() => {});
    ft.setNotrace(ops, 'fib');
    ft.setNotrace(ops, 'leaf');
    expect([...ops.notraceHash]).toEqual([IP.leaf]);
  });

  it('callGuest returns what the call returns, and its return is a quiescent point', () => {
    const { ft, exports } = coreInstance();
    const log: string[] = [];
    const r = ft.callGuest(() => {
      ft.callRcu(() => log.push('reclaimed'));
      const v = exports['fib']!(6);
      log.push('returned');
      return v;
    });
    expect(r).toBe(8);
    expect(log).toEqual(['returned', 'reclaimed']);
  });
});

describe('the in-wasm recorder as the core sees it', () => {
  it('createOps takes recordable and replay from the options, and leaves them out otherwise', () => {
    const replay = () => {};
    const r = createOps(() => {}, { recordable: true, replay });
    expect([r.recordable, r.replay]).toEqual([true, replay]);
    const plain = createOps(() => {});
    expect(['recordable' in plain, 'replay' in plain]).toEqual([false, false]);
  });

  it('a connected recorder is flushed before every dispatch change and told the new direct ops and whether exits take the list', () => {
    const { ft } = coreInstance();
    const log: string[] = [];
    ft.connectRecorder({
      on: false,
      flush: () => log.push(`flush (was ${ft.mode})`),
      update: (direct, exitList) => log.push(`update ${direct?.name ?? null} ${exitList}`),
    });
    expect(ft.recorder).not.toBeNull();
    const a = createOps(() => {}, { name: 'a', recordable: true });
    ft.register(a);
    const b = createOps(() => {}, { name: 'b', retfunc: () => {} });
    ft.register(b);
    ft.unregister(a);
    expect(log).toEqual(['flush (was none)', 'update null false', 'flush (was none)', 'update a false', 'flush (was direct)', 'update null true', 'flush (was list)', 'update b false']);
  });
});
