/**
 * The guest API on a hand-written guest: ops structs in linear memory, one
 * in static data and one on the "heap", callbacks through the exported
 * function table, and a heap ops that unregisters itself from its own
 * callback and is "freed" (poisoned) at once.
 */
import { describe, expect, it } from 'vitest';
import { HOST_IP } from '../src/abi/index.js';
import { Ftrace, FTRACE_OPS_FL_DYNAMIC, FTRACE_OPS_FL_ENABLED, FTRACE_OPS_FL_INITIALIZED } from '../src/ftrace/index.js';
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
  const ip = (name: string) => r.metadata.names.indexOf(name);
  return { ft, x, u32, ip, metadata: r.metadata };
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
    expect(u32(8196) & FTRACE_OPS_FL_INITIALIZED).toBe(0);
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
