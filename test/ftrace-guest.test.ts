/**
 * The guest API on a hand-written guest: ops structs in linear memory, one
 * in static data and one on the "heap", callbacks through the exported
 * function table, and a heap ops that unregisters itself from its own
 * callback and is "freed" (poisoned) at once.
 */
import { describe, expect, it } from 'vitest';
import { HOST_IP } from '../src/abi/index.js';
import { createGuestApi, Ftrace, FtraceError, FTRACE_OPS_FL_DYNAMIC, FTRACE_OPS_FL_ENABLED, FTRACE_OPS_FL_INITIALIZED, type FtraceOps } from '../src/ftrace/index.js';
import { instrument } from '../src/index.js';
import { wat } from './helpers/wat.js';

const GUEST = `(module
  (import "ftrace" "register_ftrace_function" (func $reg (param i32) (result i32)))
  (import "ftrace" "unregister_ftrace_function" (func $unreg (param i32) (result i32)))
  (import "ftrace" "ftrace_set_filter" (func $set_filter (param i32 i32 i32 i32) (result i32)))
  (import "ftrace" "ftrace_set_notrace" (func $set_notrace (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; static ops at 1024: func = 1 ($static_cb), flags = 0, private = 0
  (data (i32.const 1024) "\\01\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00")
  (data (i32.const 1040) "work")
  (data (i32.const 1048) "nosuchfn")
  (data (i32.const 1056) "leaf")
  (table (export "__indirect_function_table") 5 funcref)
  (elem (i32.const 1) $static_cb $heap_cb)
  (elem (i32.const 4) $wrong_cb)
  ;; counters live outside static data: 4096 static calls, 4100 heap calls,
  ;; 4104/4108 last (ip, parent) seen by static_cb, 4112 heap unregister result
  (func $static_cb (param $ip i32) (param $parent i32)
    (i32.store (i32.const 4096) (i32.add (i32.load (i32.const 4096)) (i32.const 1)))
    (i32.store (i32.const 4104) (local.get $ip))
    (i32.store (i32.const 4108) (local.get $parent)))
  (func $heap_cb (param $ip i32) (param $parent i32)
    (i32.store (i32.const 4100) (i32.add (i32.load (i32.const 4100)) (i32.const 1)))
    (if (i32.eq (i32.load (i32.const 4100)) (i32.const 3))
      (then
        (i32.store (i32.const 4112) (call $unreg (i32.const 8192)))
        ;; free() it at once: poison the whole struct
        (memory.fill (i32.const 8192) (i32.const 0xff) (i32.const 12)))))
  (func $leaf (export "leaf"))
  (func $work (export "work") (call $leaf))
  (func (export "reg_static") (result i32) (call $reg (i32.const 1024)))
  (func (export "unreg_static") (result i32) (call $unreg (i32.const 1024)))
  (func (export "filter_static_work") (result i32) (call $set_filter (i32.const 1024) (i32.const 1040) (i32.const 4) (i32.const 1)))
  (func (export "filter_static_bad") (result i32) (call $set_filter (i32.const 1024) (i32.const 1048) (i32.const 8) (i32.const 1)))
  (func (export "notrace_static_leaf") (result i32) (call $set_notrace (i32.const 1024) (i32.const 1056) (i32.const 4) (i32.const 1)))
  (func (export "make_heap_ops") (i32.store (i32.const 8192) (i32.const 2)) (i32.store (i32.const 8196) (i32.const 0)))
  (func (export "make_bad_ops") (i32.store (i32.const 8192) (i32.const 3)) (i32.store (i32.const 8196) (i32.const 0)))
  (func (export "filter_heap_work") (result i32) (call $set_filter (i32.const 8192) (i32.const 1040) (i32.const 4) (i32.const 1)))
  (func (export "reg_heap") (result i32) (call $reg (i32.const 8192)))
  (func (export "unreg_heap") (result i32) (call $unreg (i32.const 8192)))
  ;; whatever a hostile guest passes
  (func (export "reg_at") (param i32) (result i32) (call $reg (local.get 0)))
  (func (export "unreg_at") (param i32) (result i32) (call $unreg (local.get 0)))
  (func (export "filter_at") (param i32 i32 i32) (result i32) (call $set_filter (local.get 0) (local.get 1) (local.get 2) (i32.const 1)))
  (func (export "notrace_at") (param i32 i32 i32) (result i32) (call $set_notrace (local.get 0) (local.get 1) (local.get 2) (i32.const 1)))
  (func (export "filter_r") (param i32 i32 i32 i32) (result i32) (call $set_filter (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "notrace_r") (param i32 i32 i32 i32) (result i32) (call $set_notrace (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "make_wrong_ops") (i32.store (i32.const 8192) (i32.const 4)) (i32.store (i32.const 8196) (i32.const 0)))
  (func $wrong_cb (param i64 f64) (result i64) (local.get 0))
)`;

/** Callbacks are usually built notrace (the kernel's `notrace`); `tracedCallbacks` keeps them traced. */
function guest(opts: { tracedCallbacks?: boolean } = {}) {
  const r = instrument(wat(GUEST), opts.tracedCallbacks ? {} : { notrace: ['*_cb'] });
  const module = new WebAssembly.Module(r.binary as Uint8Array<ArrayBuffer>);
  const ft = Ftrace.forModule(module);
  const instance = new WebAssembly.Instance(module, { ftrace: ft.imports });
  ft.attach(instance);
  const x = instance.exports as unknown as Record<string, () => number>;
  const mem = () => new DataView((instance.exports['memory'] as WebAssembly.Memory).buffer);
  const u32 = (addr: number) => mem().getUint32(addr, true);
  const poke = (addr: number, value: number) => mem().setUint32(addr, value, true);
  const ip = (name: string) => r.metadata.names.indexOf(name);
  return { ft, x, u32, poke, ip, metadata: r.metadata };
}

describe('guest API: a wasm program tracing itself', () => {
  it('registers a static ops: called directly, ENABLED written back', () => {
    const { ft, x, u32, ip } = guest({ tracedCallbacks: true });
    expect(x['reg_static']!()).toBe(0);
    expect(u32(1028)).toBe(FTRACE_OPS_FL_ENABLED | FTRACE_OPS_FL_INITIALIZED);
    expect(ft.mode).toBe('direct');
    x['work']!();
    expect(u32(4096)).toBe(2); // work and leaf
    expect([u32(4104), u32(4108)]).toEqual([ip('leaf'), ip('work')]);
    // the callback is traced wasm too: its own entries were dropped, and counted
    expect(ft.stats.recursionMissed).toBe(2);
  });

  it('returns -EBUSY for a second register and -EINVAL for unknown or broken ops', () => {
    const { x, u32 } = guest();
    expect(x['reg_static']!()).toBe(0);
    expect(x['reg_static']!()).toBe(-16);
    expect(x['unreg_heap']!()).toBe(-22);
    x['make_bad_ops']!(); // func 3 is an empty table slot
    expect(x['reg_heap']!()).toBe(-22);
    expect(u32(8196)).toBe(0);
    expect(x['unreg_static']!()).toBe(0);
    expect(u32(1028)).toBe(0);
  });

  it('sets filters from text in linear memory; a filter that matches nothing returns -EINVAL', () => {
    const { ft, x, u32, ip } = guest();
    expect(x['filter_static_work']!()).toBe(0);
    expect(x['reg_static']!()).toBe(0);
    x['work']!();
    expect(u32(4096)).toBe(1);
    expect(u32(4104)).toBe(ip('work'));
    expect(x['filter_static_bad']!()).toBe(-22);
    expect(ft.guest.lastError).toBe("'nosuchfn' matches no function");
    expect(x['notrace_static_leaf']!()).toBe(0);
    expect(ft.enabledFunctions().map((f) => f.name)).toEqual(['work']);
  });

  it('flags a heap ops DYNAMIC and always calls it through the list function', () => {
    const { ft, x, u32 } = guest();
    x['make_heap_ops']!();
    expect(x['reg_heap']!()).toBe(0);
    expect(u32(8196)).toBe(FTRACE_OPS_FL_ENABLED | FTRACE_OPS_FL_DYNAMIC | FTRACE_OPS_FL_INITIALIZED);
    expect(ft.mode).toBe('list');
    x['leaf']!();
    expect(u32(4100)).toBe(1);
  });

  it('a filter set on an ops that is freed unregistered does not reach the next ops malloc\'ed there', () => {
    const { ft, x, u32, ip } = guest();
    x['make_heap_ops']!(); // malloc
    expect(x['filter_heap_work']!()).toBe(0);
    x['make_heap_ops']!(); // free, malloc at the same address: a new ops, flags 0
    expect(x['reg_heap']!()).toBe(0);
    expect(ft.enabledFunctions().map((f) => f.name)).toContain('leaf');
    x['leaf']!();
    expect(u32(4100)).toBe(1);
    // while the first one lives, its filter holds through register
    expect(x['unreg_heap']!()).toBe(0);
    expect(u32(8196)).toBe(FTRACE_OPS_FL_DYNAMIC); // ENABLED and INITIALIZED cleared; DYNAMIC stays, as in the kernel
    x['make_heap_ops']!();
    expect(x['filter_heap_work']!()).toBe(0);
    expect(u32(8196)).toBe(FTRACE_OPS_FL_INITIALIZED);
    expect(x['reg_heap']!()).toBe(0);
    expect(ft.enabledFunctions().map((f) => f.ip)).toEqual([ip('work')]);
  });

  it('lets a heap ops unregister and free itself inside its own callback', async () => {
    const { ft, x, u32 } = guest();
    expect(x['reg_static']!()).toBe(0);
    x['make_heap_ops']!();
    expect(x['reg_heap']!()).toBe(0);
    x['work']!(); // heap_cb: 1 (work), 2 (leaf)
    x['work']!(); // 3 (work): unregisters itself and poisons its struct; leaf follows
    expect(u32(4112)).toBe(0);
    expect(u32(8192)).toBe(0xffffffff);
    expect(u32(4100)).toBe(3); // never called again, not for leaf in the same run
    expect(ft.mode).toBe('direct');
    x['work']!();
    x['work']!();
    expect(u32(4100)).toBe(3);
    expect(u32(4096)).toBe(10); // the static ops saw every entry since it was registered
    await ft.synchronize(); // even after a grace period,
    expect(u32(8196)).toBe(0xffffffff); // the host wrote nothing into the freed struct's flags, the word it writes
    expect(x['unreg_heap']!()).toBe(-22);
  });

  it('checks every pointer and length: -EINVAL or -EFAULT, never a host exception', () => {
    const { ft, x } = guest();
    const EINVAL = -22;
    const EFAULT = -14;
    for (const ptr of [0x80000000 | 0, -4, 65536, 65532, 0x7ffffffc]) {
      expect(x['reg_at']!(ptr), `register ${ptr}`).toBe(EFAULT);
      expect(x['filter_at']!(ptr, 1040, 4), `set_filter ${ptr}`).toBe(EFAULT);
      expect(x['notrace_at']!(ptr, 1040, 4), `set_notrace ${ptr}`).toBe(EFAULT);
      expect(x['unreg_at']!(ptr)).toBe(EINVAL);
    }
    expect(x['reg_at']!(0)).toBe(EINVAL);
    expect(x['reg_at']!(1026)).toBe(EINVAL);
    expect(x['filter_at']!(1024, 0x80000000 | 0, 4)).toBe(EFAULT);
    expect(x['filter_at']!(1024, 65534, 4)).toBe(EFAULT);
    expect(x['filter_at']!(1024, 1040, -1)).toBe(EINVAL);
    expect(x['filter_at']!(1024, 1040, 0x7fffffff)).toBe(EFAULT);
    expect(ft.registered).toHaveLength(0);
    expect(x['filter_at']!(1024, 1040, 4)).toBe(0);
  });

  it('refuses an ops whose func has another signature, at register time', () => {
    const { ft, x, u32 } = guest();
    x['make_wrong_ops']!(); // func 4: (i64, f64) -> i64
    expect(x['reg_heap']!()).toBe(-22);
    expect(ft.guest.lastError).toBe('ops at 8192: func 4 is not of type (i32 ip, i32 parent_ip) -> ()');
    expect(u32(8196)).toBe(0);
    x['work']!(); // before: "Cannot convert 7 to a BigInt" at this entry
    expect(ft.registered).toHaveLength(0);
  });

  it('passes HOST to the guest callback as -1', () => {
    const { x, u32 } = guest();
    x['reg_static']!();
    x['leaf']!();
    expect(u32(4108)).toBe(HOST_IP);
  });
});

describe('guest API: the edges of what a guest passes', () => {
  const EINVAL = -22;
  const EFAULT = -14;
  const EBUSY = -16;

  it('refuses a null or unaligned ops even when a valid struct is there, and says why', () => {
    const { ft, x, poke } = guest();
    poke(0, 1); // func 1 ($static_cb) at address 0
    expect(x['reg_at']!(0)).toBe(EINVAL);
    expect(ft.guest.lastError).toBe('ops pointer 0 is null or unaligned');
    poke(8194, 1); // func 1 at an address that is not a multiple of 4
    poke(8198, 0);
    expect(x['reg_at']!(8194)).toBe(EINVAL);
    expect(ft.guest.lastError).toBe('ops pointer 8194 is null or unaligned');
    expect(ft.registered).toHaveLength(0);
  });

  it('takes an ops that ends exactly at the end of memory; one byte further is -EFAULT', () => {
    const { ft, x, poke } = guest();
    const end = 65536 - 12;
    poke(end, 1);
    poke(end + 4, 0);
    expect(x['reg_at']!(end)).toBe(0);
    expect(ft.registered.map((o) => o.name)).toEqual([`guest@${end}`]);
    expect(x['reg_at']!(65536)).toBe(EFAULT);
    expect(ft.guest.lastError).toBe('ops pointer 65536 is outside memory');
  });

  it('reads filter text up to the last byte of memory; past it is -EFAULT, a negative length -EINVAL', () => {
    const { ft, x, poke, ip } = guest();
    poke(65532, 0x6661656c); // "leaf"
    expect(x['filter_at']!(1024, 65532, 4)).toBe(0);
    expect(x['reg_static']!()).toBe(0);
    expect(ft.enabledFunctions().map((f) => f.ip)).toEqual([ip('leaf')]);
    expect(x['filter_at']!(1024, 65533, 4)).toBe(EFAULT);
    expect(ft.guest.lastError).toBe('text at 65533+4 is outside memory');
    expect(x['filter_at']!(1024, 1040, -1)).toBe(EINVAL);
    expect(ft.guest.lastError).toBe('text length -1 is negative');
  });

  it('ftrace_set_filter with reset 0 adds to the filter, with reset 1 replaces it, with empty text clears it', () => {
    const { ft, x, ip } = guest();
    const names = () => ft.enabledFunctions().map((f) => f.name);
    expect(x['reg_static']!()).toBe(0);
    expect(x['filter_r']!(1024, 1040, 4, 1)).toBe(0); // work
    expect(names()).toEqual(['work']);
    expect(x['filter_r']!(1024, 1056, 4, 0)).toBe(0); // + leaf
    expect(names().sort()).toEqual(['leaf', 'work']);
    expect(x['filter_r']!(1024, 1040, 4, 2)).toBe(0); // any non-zero reset: work only
    expect(names()).toEqual(['work']);
    expect(x['filter_r']!(1024, 0, 0, 1)).toBe(0); // "" with reset: every function again
    expect(ft.enabledFunctions().map((f) => f.ip)).toContain(ip('leaf'));
    expect(names()).toContain('work');
  });

  it('ftrace_set_notrace with reset 0 adds to the notrace set, with reset 1 replaces it', () => {
    const { ft, x } = guest();
    const names = () => ft.enabledFunctions().map((f) => f.name);
    expect(x['reg_static']!()).toBe(0);
    expect(x['notrace_r']!(1024, 1040, 4, 1)).toBe(0); // !work
    expect(names()).not.toContain('work');
    expect(names()).toContain('leaf');
    expect(x['notrace_r']!(1024, 1056, 4, 0)).toBe(0); // and !leaf
    expect(names()).not.toContain('work');
    expect(names()).not.toContain('leaf');
    expect(x['notrace_r']!(1024, 1056, 4, 1)).toBe(0); // !leaf only
    expect(names()).toContain('work');
    expect(names()).not.toContain('leaf');
  });

  it('-EBUSY for a struct that says ENABLED, and for a registered ops whose struct the guest zeroed', () => {
    const { ft, x, u32, poke } = guest();
    poke(1028, FTRACE_OPS_FL_ENABLED); // e.g. a copy of a registered struct
    expect(x['reg_static']!()).toBe(EBUSY);
    expect(ft.guest.lastError).toBe('ops at 1024 is already registered');
    expect(ft.registered).toHaveLength(0);
    poke(1028, 0);
    expect(x['reg_static']!()).toBe(0);
    poke(1024, 2); // while registered, the guest rewrites the struct: func 2 ($heap_cb), flags 0
    poke(1028, 0);
    expect(x['reg_static']!()).toBe(EBUSY);
    expect(ft.guest.lastError).toBe('ops at 1024 is already registered');
    expect(ft.registered).toHaveLength(1);
    const before = u32(4096);
    x['leaf']!(); // the refused register changed nothing: still $static_cb
    expect([u32(4096) - before, u32(4100)]).toEqual([1, 0]);
    expect(x['unreg_static']!()).toBe(0);
    expect(u32(1028)).toBe(0);
  });

  it('says which func is not in the table, for an empty slot and for an index past its end', () => {
    const { ft, x, poke } = guest();
    x['make_bad_ops']!(); // slot 3 is empty
    expect(x['reg_heap']!()).toBe(EINVAL);
    expect(ft.guest.lastError).toBe('ops at 8192: func 3 is not a function in the table');
    poke(8192, 1000);
    expect(x['reg_heap']!()).toBe(EINVAL);
    expect(ft.guest.lastError).toBe('ops at 8192: func 1000 is not a function in the table');
    expect(x['unreg_heap']!()).toBe(EINVAL);
    expect(ft.guest.lastError).toBe('ops at 8192 is not registered');
  });

  it('readText: the UTF-8 text a guest points at (what trace_marker writes), or an FtraceError', () => {
    const { ft, poke } = guest();
    poke(3000, 0x21a9c3); // "é!"
    expect(ft.guest.readText(3000, 3)).toBe('é!');
    expect(ft.guest.readText(1040, 4)).toBe('work');
    expect(ft.guest.readText(65536, 0)).toBe('');
    expect(() => ft.guest.readText(65535, 2)).toThrow(FtraceError);
    expect(() => ft.guest.readText(65535, 2)).toThrow('outside memory');
  });

});

/** The guest API alone, on a plain module, with a host that only records what it is asked. */
function bareGuest(source: string) {
  const registered: FtraceOps[] = [];
  const host = {
    register: (o: FtraceOps) => {
      o.flags |= FTRACE_OPS_FL_ENABLED;
      registered.push(o);
    },
    unregister: (o: FtraceOps) => {
      o.flags &= ~FTRACE_OPS_FL_ENABLED;
    },
    setFilter: (_o: FtraceOps, _f: string, _r: boolean) => {},
    setNotrace: (_o: FtraceOps, _f: string, _r: boolean) => {},
  };
  const api = createGuestApi(host);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(wat(source) as Uint8Array<ArrayBuffer>));
  api.attach(instance);
  const mem = new DataView((instance.exports['memory'] as WebAssembly.Memory).buffer);
  /** an ops struct at addr calling table slot func */
  const ops = (addr: number, func: number) => {
    mem.setUint32(addr, func, true);
    mem.setUint32(addr + 4, 0, true);
    return addr;
  };
  return { api, host, registered, mem, ops };
}

const CB = `(func $cb (param i32 i32) (i32.store (i32.const 256) (local.get 0)) (i32.store (i32.const 260) (local.get 1)))
  (func $trap (param i32 i32) unreachable)`;

describe('guest API: which table, and what surrounds a callback', () => {
  it('uses the table named __indirect_function_table when a module exports several', () => {
    const { api, ops } = bareGuest(`(module (memory (export "memory") 1)
      (table $a (export "a") 4 funcref) (table $b (export "__indirect_function_table") 4 funcref)
      (elem (table $b) (i32.const 1) func $cb) ${CB})`);
    expect(api.imports.register_ftrace_function(ops(16, 1))).toBe(0);
  });

  it('uses the only table a module exports, whatever its name; with two unnamed ones it guesses neither', () => {
    const one = bareGuest(`(module (memory (export "memory") 1) (table $t (export "t") 4 funcref) (elem (i32.const 1) func $cb) ${CB})`);
    expect(one.api.imports.register_ftrace_function(one.ops(16, 1))).toBe(0);
    const two = bareGuest(`(module (memory (export "memory") 1)
      (table $a (export "a") 4 funcref) (table $b (export "b") 4 funcref)
      (elem (table $a) (i32.const 1) func $cb) (elem (table $b) (i32.const 1) func $cb) ${CB})`);
    expect(two.api.imports.register_ftrace_function(two.ops(16, 1))).toBe(-22);
    expect(two.api.lastError).toBe('the guest exports no function table (link with --export-table)');
  });

  it('runs the callback between onCallback.enter and leave, passes HOST as -1, and leaves when the callback traps', () => {
    const { api, registered, mem, ops } = bareGuest(`(module (memory (export "memory") 1)
      (table (export "__indirect_function_table") 4 funcref) (elem (i32.const 1) func $cb $trap) ${CB})`);
    expect(api.imports.register_ftrace_function(ops(16, 1))).toBe(0);
    expect(api.imports.register_ftrace_function(ops(32, 2))).toBe(0);
    expect(registered.map((o) => o.name)).toEqual(['guest@16', 'guest@32']);
    const log: string[] = [];
    api.onCallback = { enter: () => log.push(`enter ${mem.getUint32(256, true)}`), leave: () => log.push(`leave ${mem.getUint32(256, true)}`) };
    const [cb, trap] = registered as [FtraceOps, FtraceOps];
    cb.func(7, 0xffffffff, cb);
    expect(log).toEqual(['enter 0', 'leave 7']);
    expect(mem.getInt32(260, true)).toBe(-1);
    log.length = 0;
    expect(() => trap.func(7, 1, trap)).toThrow(WebAssembly.RuntimeError);
    expect(log).toEqual(['enter 7', 'leave 7']);
    api.onCallback = null;
    cb.func(9, 3, cb);
    expect([mem.getUint32(256, true), mem.getUint32(260, true)]).toEqual([9, 3]);
  });

  it('a host error that is not the guest\'s fault is thrown, not turned into -EINVAL', () => {
    const { api, host, ops } = bareGuest(`(module (memory (export "memory") 1) (table (export "t") 4 funcref) (elem (i32.const 1) func $cb) ${CB})`);
    host.setFilter = () => {
      throw new TypeError('host bug');
    };
    expect(() => api.imports.ftrace_set_filter(ops(16, 1), 0, 0, 1)).toThrow('host bug');
  });
});

describe('guest callbacks under function_graph', () => {
  it('a traced callback that unregisters and frees itself leaves a clean graph', async () => {
    const { TraceArray } = await import('../src/tracers/index.js');
    const r = instrument(wat(GUEST), { exitHooks: true });
    const module = new WebAssembly.Module(r.binary as Uint8Array<ArrayBuffer>);
    const tr = new TraceArray({ tracer: 'function_graph', clock: 'counter' });
    const { instance } = await tr.instantiate(module, {}, 'guest');
    const x = instance.exports as unknown as Record<string, () => number>;
    expect(x['reg_static']!()).toBe(0);
    x['make_heap_ops']!();
    expect(x['reg_heap']!()).toBe(0);
    for (let k = 0; k < 4; k++) x['work']!();
    expect(x['unreg_static']!()).toBe(0);
    expect(tr.stats).toMatchObject({ unwoundFrames: 0, strayExits: 0 });
    const names = r.metadata.names;
    // every callback entry nests under the entry that called it, never at depth 0
    for (const e of tr.read().events) {
      if (e.type === 1 && names[e.ip]!.endsWith('_cb')) expect(e.depth, names[e.ip]).toBeGreaterThan(0);
    }
  });
});
