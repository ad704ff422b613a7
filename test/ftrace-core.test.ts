import { describe, expect, it } from 'vitest';
import {
  createOps,
  EBUSY,
  EINVAL,
  FilterError,
  FTRACE_OPS_FL_DYNAMIC,
  FTRACE_OPS_FL_ENABLED,
  FtraceError,
  type FtraceOps,
} from '../src/ftrace/index.js';
import { HOST_IP } from '../src/abi/index.js';
import { coreInstance, IP } from './helpers/core-fixture.js';

type Call = [number, number];
function recorder(name?: string): { ops: FtraceOps; calls: Call[] } {
  const calls: Call[] = [];
  const ops = createOps((ip, parent) => calls.push([ip, parent]), name ? { name } : {});
  return { ops, calls };
}

describe('dispatch: direct vs list (update_ftrace_function)', () => {
  it('goes none -> direct -> list -> direct -> none as static ops come and go', () => {
    const { ft } = coreInstance();
    const a = recorder('a');
    const b = recorder('b');
    expect(ft.mode).toBe('none');
    ft.register(a.ops);
    expect(ft.mode).toBe('direct');
    ft.register(b.ops);
    expect(ft.mode).toBe('list');
    ft.unregister(a.ops);
    expect(ft.mode).toBe('direct');
    ft.unregister(b.ops);
    expect(ft.mode).toBe('none');
  });

  it('calls a DYNAMIC ops through the list function even when it is alone', () => {
    const { ft, exports } = coreInstance();
    const d = recorder();
    d.ops.flags |= FTRACE_OPS_FL_DYNAMIC;
    ft.register(d.ops);
    expect(ft.mode).toBe('list');
    exports['leaf']!();
    expect(d.calls).toEqual([[IP.leaf, HOST_IP]]);
    const s = recorder();
    ft.register(s.ops);
    expect(ft.mode).toBe('list');
    ft.unregister(d.ops);
    expect(ft.mode).toBe('direct');
  });

  it('delivers ip and parent_ip in both modes', () => {
    const { ft, exports } = coreInstance();
    const a = recorder();
    ft.register(a.ops);
    exports['helper_a']!();
    exports['helper_b']!();
    expect(a.calls).toEqual([
      [IP.helper_a, HOST_IP],
      [IP.leaf, IP.helper_a],
      [IP.helper_b, HOST_IP],
      [IP.leaf, IP.helper_b], // through call_indirect
    ]);
    const b = recorder();
    ft.register(b.ops);
    exports['helper_a']!();
    expect(b.calls).toEqual([
      [IP.helper_a, HOST_IP],
      [IP.leaf, IP.helper_a],
    ]);
  });

  it('rejects registering an ENABLED ops with EBUSY and unregistering a stranger with EINVAL', () => {
    const { ft } = coreInstance();
    const a = recorder();
    ft.register(a.ops);
    expect(() => ft.register(a.ops)).toThrow(expect.objectContaining({ errno: EBUSY }));
    expect(ft.registered).toHaveLength(1);
    const b = recorder();
    expect(() => ft.unregister(b.ops)).toThrow(FtraceError);
    expect(() => ft.unregister(b.ops)).toThrow(expect.objectContaining({ errno: EINVAL }));
  });

  it('flags DYNAMIC from the address: inside static data is static, anything else is dynamic', () => {
    const { ft } = coreInstance();
    expect(ft.metadata.data).toEqual({ start: 1024, end: 1090 }); // the 66-byte segment
    const inData = recorder();
    inData.ops.address = 1032;
    ft.register(inData.ops);
    expect(inData.ops.flags).toBe(FTRACE_OPS_FL_ENABLED);
    expect(ft.mode).toBe('direct');
    ft.unregister(inData.ops);
    const onHeap = recorder();
    onHeap.ops.address = 40000;
    ft.register(onHeap.ops);
    expect(onHeap.ops.flags).toBe(FTRACE_OPS_FL_ENABLED | FTRACE_OPS_FL_DYNAMIC);
    expect(ft.mode).toBe('list');
  });

  it('ftrace_enabled off stops every callback and guard; on restores them', () => {
    const { ft, exports, hooks } = coreInstance();
    const a = recorder();
    ft.register(a.ops);
    ft.ftraceEnabled = false;
    expect(ft.mode).toBe('none');
    exports['main']!(3);
    expect(hooks).toEqual([]);
    expect(a.calls).toEqual([]);
    ft.ftraceEnabled = true;
    expect(ft.mode).toBe('direct');
    exports['leaf']!();
    expect(a.calls).toEqual([[IP.leaf, HOST_IP]]);
  });
});

describe('filters and guards (dynamic patching)', () => {
  it('a function no ops wants never calls out of wasm', () => {
    const { ft, exports, hooks, entries } = coreInstance();
    const a = recorder();
    ft.setFilter(a.ops, 'leaf');
    ft.register(a.ops);
    exports['main']!(5);
    expect(entries.filter((ip) => ip === IP.fib)).toHaveLength(15);
    expect(hooks).toEqual([IP.leaf]);
    expect(a.calls).toEqual([[IP.leaf, IP.main]]);
  });

  it('with nothing registered, no function calls out', () => {
    const { exports, hooks, entries } = coreInstance();
    exports['main']!(4);
    expect(entries.length).toBeGreaterThan(5);
    expect(hooks).toEqual([]);
  });

  it('the guards are the union of what the ops want; each ops sees only its own', () => {
    const { ft, exports, hooks } = coreInstance();
    const a = recorder();
    const b = recorder();
    ft.setFilter(a.ops, 'helper_*');
    ft.setFilter(b.ops, 'leaf');
    ft.register(a.ops);
    ft.register(b.ops);
    exports['helper_a']!();
    exports['fib']!(2);
    expect(hooks).toEqual([IP.helper_a, IP.leaf]);
    expect(a.calls).toEqual([[IP.helper_a, HOST_IP]]);
    expect(b.calls).toEqual([[IP.leaf, IP.helper_a]]);
  });

  it('notrace wins over the filter', () => {
    const { ft, exports } = coreInstance();
    const a = recorder();
    ft.setFilter(a.ops, '*');
    ft.setNotrace(a.ops, 'fib leaf');
    ft.register(a.ops);
    exports['main']!(3);
    expect(a.calls).toEqual([[IP.main, HOST_IP]]);
  });

  it('speaks ftrace: globs, !name, line numbers, append vs reset, :mod:', () => {
    const { ft } = coreInstance();
    const a = recorder();
    const set = (text: string, reset = true) => {
      ft.setFilter(a.ops, text, reset);
      return [...a.ops.filterHash].sort((x, y) => x - y);
    };
    expect(set('helper_*')).toEqual([IP.helper_a, IP.helper_b]);
    expect(set('*f*')).toEqual([IP.fib, IP.leaf]);
    expect(set('m*n,leaf')).toEqual([IP.main, IP.leaf]);
    expect(set('!leaf', false)).toEqual([IP.main]);
    expect(set('fib', false)).toEqual([IP.main, IP.fib]);
    expect(set('1')).toEqual([ft.availableFunctions()[0]!.ip]);
    expect(ft.availableFunctions()[0]).toEqual({ line: 1, ip: IP.main, name: 'main' });
    expect(set('3 4')).toEqual([IP.leaf, IP.helper_a]);
    expect(set('*:mod:core')).toEqual([2, 3, 4, 5, 6, 7]);
    expect(set(':mod:co*')).toEqual([2, 3, 4, 5, 6, 7]);
    expect(set('')).toEqual([]);
  });

  it('an expression that matches nothing is an error and changes nothing', () => {
    const { ft } = coreInstance();
    const a = recorder();
    ft.setFilter(a.ops, 'fib');
    expect(() => ft.setFilter(a.ops, 'leaf nosuch*')).toThrow(new FilterError("'nosuch*' matches no function"));
    expect(() => ft.setFilter(a.ops, '99')).toThrow(FilterError);
    expect(() => ft.setFilter(a.ops, 'fib:mod:other')).toThrow(/matches no function/);
    expect(() => ft.setFilter(a.ops, 'fib:traceon:1')).toThrow(/unknown filter command 'traceon'/);
    expect([...a.ops.filterHash]).toEqual([IP.fib]);
  });

  it('filter changes on a registered ops re-patch the guards at once', () => {
    const { ft, exports, hooks } = coreInstance();
    const a = recorder();
    ft.register(a.ops);
    ft.setFilter(a.ops, 'leaf');
    exports['helper_a']!();
    ft.setFilter(a.ops, 'helper_a');
    exports['helper_a']!();
    expect(hooks).toEqual([IP.leaf, IP.helper_a]);
  });

  it('before attach (the start function), the hook applies the filters itself', () => {
    const c = coreInstance({ attach: false });
    const a = recorder();
    c.ft.setFilter(a.ops, 'leaf');
    c.ft.register(a.ops);
    c.exports['helper_a']!();
    expect(c.hooks).toEqual([IP.helper_a, IP.leaf]); // guards still at the pass's defaults
    expect(a.calls).toEqual([[IP.leaf, IP.helper_a]]);
  });

  it('lists available and enabled functions', () => {
    const { ft } = coreInstance();
    expect(ft.availableFunctions().map((f) => `${f.line} ${f.name}`)).toEqual(['1 main', '2 fib', '3 leaf', '4 helper_a', '5 helper_b', '6 callback']);
    const a = recorder();
    const b = recorder();
    ft.setFilter(a.ops, 'fib leaf');
    ft.register(a.ops);
    expect(ft.enabledFunctions()).toEqual([
      { ip: IP.fib, name: 'fib', callbacks: 1, direct: true },
      { ip: IP.leaf, name: 'leaf', callbacks: 1, direct: true },
    ]);
    ft.setFilter(b.ops, 'leaf');
    ft.register(b.ops);
    expect(ft.enabledFunctions()).toEqual([
      { ip: IP.fib, name: 'fib', callbacks: 1, direct: false },
      { ip: IP.leaf, name: 'leaf', callbacks: 2, direct: false },
    ]);
  });
});

describe('safety: unregister inside callbacks, recursion, grace periods', () => {
  it('an ops unregistered by an earlier callback of the same walk is not called', () => {
    const { ft, exports } = coreInstance();
    const b = recorder('b');
    const a = recorder('a');
    a.ops.func = (ip, parent) => {
      a.calls.push([ip, parent]);
      if (b.ops.flags & FTRACE_OPS_FL_ENABLED) ft.unregister(b.ops);
    };
    ft.register(a.ops);
    ft.register(b.ops);
    exports['leaf']!();
    expect(a.calls).toHaveLength(1);
    expect(b.calls).toEqual([]);
  });

  it('an ops that unregisters itself is never called again, not even by the outer walk', () => {
    const { ft, exports } = coreInstance();
    const log: string[] = [];
    const c = createOps(() => log.push('c'), { name: 'c', dynamic: true });
    // a calls into traced wasm (nested dispatch); inside it, c unregisters itself
    const a = createOps(
      (ip) => {
        log.push(`a:${ip}`);
        if (ip === IP.helper_a) exports['leaf']!();
      },
      { name: 'a' },
    );
    c.func = () => {
      log.push(`c (depth ${ft.rcu.depth})`);
      if (ft.rcu.depth === 2) ft.unregister(c);
    };
    ft.register(a);
    ft.register(c);
    exports['helper_a']!();
    // outer walk: a (helper_a) -> nested walk for leaf: a is busy (missed), c runs and unregisters
    // -> back in the outer walk, c is next in the list for helper_a but must not be called;
    // -> leaf, called from helper_a: only a.
    expect(log).toEqual(['a:5', 'c (depth 2)', 'a:4']);
    expect(ft.stats.recursionMissed).toBe(1);
    expect(ft.mode).toBe('direct');
  });

  it('a callback that calls traced wasm does not recurse: the nested entries are counted as missed', () => {
    const { ft, exports } = coreInstance();
    let calls = 0;
    const a = createOps(() => {
      calls++;
      exports['fib']!(4); // 9 traced entries, all reaching a busy ops
    });
    ft.register(a);
    exports['leaf']!();
    expect(calls).toBe(1);
    expect(ft.stats.recursionMissed).toBe(9);
  });

  it('call_rcu callbacks never run inside mcount: only at a quiescent point with no guest frames below', async () => {
    const { ft, exports } = coreInstance();
    const log: string[] = [];
    const d = createOps(
      (ip) => {
        log.push(`cb ${ip}`);
        if (ip === IP.helper_a) ft.callRcu(() => log.push(`reclaim (depth ${ft.rcu.depth}, host depth ${ft.rcu.hostDepth})`));
      },
      { dynamic: true },
    );
    ft.setFilter(d, 'helper_a leaf');
    ft.register(d);
    // helper_a's walk ends, then helper_a (still on the stack) calls leaf:
    // the reclaimer must not have run in between
    exports['helper_a']!();
    expect(log).toEqual([`cb ${IP.helper_a}`, `cb ${IP.leaf}`]);
    expect(ft.stats.rcuPending).toBe(1);
    await Promise.resolve(); // a microtask: an empty stack
    expect(log[2]).toBe('reclaim (depth 0, host depth 0)');
    // the outermost host call returning is a quiescent point too
    ft.rcu.callGuest(() => exports['helper_a']!());
    expect(log.slice(3)).toEqual([`cb ${IP.helper_a}`, `cb ${IP.leaf}`, 'reclaim (depth 0, host depth 0)']);
    // a nested host call (guest -> import -> export) is not
    ft.rcu.callGuest(() => {
      ft.rcu.callGuest(() => exports['helper_a']!());
      expect(log).toHaveLength(8);
    });
    expect(log).toHaveLength(9);
    // outside any call it still never runs synchronously
    ft.callRcu(() => log.push('later'));
    expect(log).toHaveLength(9);
    await Promise.resolve();
    expect(log[9]).toBe('later');
  });

  it('a reclaimer waits while a read-side section is held, and a throwing one does not stop the rest', async () => {
    const { ft } = coreInstance();
    const log: string[] = [];
    ft.rcu.readLock();
    ft.callRcu(() => log.push('a'));
    await Promise.resolve();
    expect(log).toEqual([]);
    ft.rcu.readUnlock();
    expect(log).toEqual([]);
    await Promise.resolve();
    expect(log).toEqual(['a']);
    const errors: unknown[] = [];
    ft.rcu.onError = (e) => errors.push(e);
    ft.callRcu(() => {
      throw new Error('boom');
    });
    ft.callRcu(() => log.push('b'));
    await Promise.resolve();
    expect(log).toEqual(['a', 'b']);
    expect(errors.map((e) => (e as Error).message)).toEqual(['boom']);
  });

  it('synchronize() resolves at the next quiescent point, after the dispatch when called inside one', async () => {
    const { ft, exports } = coreInstance();
    await ft.synchronize();
    const order: string[] = [];
    const d = createOps(() => {
      void ft.synchronize().then(() => order.push('synchronized'));
      order.push('callback');
    }, { dynamic: true });
    ft.setFilter(d, 'leaf');
    ft.register(d);
    exports['leaf']!();
    order.push('returned');
    expect(order).toEqual(['callback', 'returned']);
    await ft.synchronize();
    expect(order).toEqual(['callback', 'returned', 'synchronized']);
  });
});

describe('tracefs-style text views', () => {
  it('prints available_filter_functions and enabled_functions', async () => {
    const { availableFilterFunctions, enabledFunctions } = await import('../src/ftrace/index.js');
    const { ft } = coreInstance();
    expect(availableFilterFunctions(ft).split('\n').slice(0, 2)).toEqual(['    1      2  main', '    2      3  fib']);
    const a = recorder();
    ft.setFilter(a.ops, 'fib');
    ft.register(a.ops);
    expect(enabledFunctions(ft)).toBe('fib (1)    direct\n');
    const b = recorder();
    ft.register(b.ops);
    expect(enabledFunctions(ft).split('\n').slice(0, 2)).toEqual(['main (1)    list', 'fib (2)    list']);
  });
});

describe('exit dispatch (retfunc, for function_graph)', () => {
  it('calls retfunc on every exit of wanted functions, directly or through the list', async () => {
    const { instrument } = await import('../src/index.js');
    const { Ftrace } = await import('../src/ftrace/index.js');
    const { wat } = await import('./helpers/wat.js');
    const { CORE_WAT } = await import('./helpers/core-fixture.js');
    const r = instrument(wat(CORE_WAT), { exitHooks: true });
    const module = new WebAssembly.Module(r.binary as Uint8Array<ArrayBuffer>);
    const ft = Ftrace.forModule(module);
    const raw: string[] = [];
    const instance = new WebAssembly.Instance(module, {
      env: { enter: () => {}, host: () => {} },
      ftrace: { ...ft.imports, mcount_exit: (ip: number) => (raw.push(`x${ip}`), ft.mcountExit(ip)) },
    });
    ft.attach(instance);
    const log: string[] = [];
    const g = createOps((ip) => log.push(`>${ip}`), { retfunc: (ip) => log.push(`<${ip}`) });
    ft.setFilter(g, 'helper_a leaf');
    ft.register(g);
    (instance.exports['helper_a'] as () => void)();
    expect(log).toEqual([`>${IP.helper_a}`, `>${IP.leaf}`, `<${IP.leaf}`, `<${IP.helper_a}`]);
    // exit guards follow the filter: fib's exits never leave wasm
    raw.length = 0;
    (instance.exports['fib'] as (n: number) => number)(3);
    expect(raw).toEqual([]);
    // a second ops without retfunc: list mode, exits still reach g only
    const f = recorder();
    ft.register(f.ops);
    log.length = 0;
    (instance.exports['helper_a'] as () => void)();
    expect(ft.mode).toBe('list');
    expect(log).toEqual([`>${IP.helper_a}`, `>${IP.leaf}`, `<${IP.leaf}`, `<${IP.helper_a}`]);
    expect(f.calls.map(([ip]) => ip)).toEqual([IP.helper_a, IP.leaf]);
    ft.unregister(g);
    raw.length = 0;
    (instance.exports['helper_a'] as () => void)();
    expect(raw).toEqual([]); // no retfunc left: every exit guard is off
  });
});
