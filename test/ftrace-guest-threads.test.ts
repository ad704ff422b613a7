/**
 * The guest API on threads (src/ftrace/guest-threads.ts), in process: one
 * wasm module on a shared memory, instantiated several times as the
 * "threads" of a program, each instance with its own Ftrace bound by an
 * FtraceThread to one SharedFtraceState. What one thread's guest registers,
 * filters or unregisters is seen by the others; every errno the guest can
 * get. (test/threads-guest.test.ts does the same with a real Worker.)
 */
import { describe, expect, it } from 'vitest';
import { watToBinary } from '../src/bench/build.js';
import { Ftrace, FtraceThread, KIND_GUEST, SharedFtraceState, type FtraceThreadOptions } from '../src/ftrace/index.js';
import { instrument } from '../src/index.js';

// Memory: static data at 32..48 (a static ops lives there), filter texts from 200, heap ops from 1024.
const A = { STATIC: 32, TEXT: 200, OPS: 1024, OPS2: 2048, END: 65536 - 12 };
const ENABLED = 1;
const DYNAMIC = 4;
const INITIALIZED = 256;
const EINVAL = -22;
const EFAULT = -14;
const EBUSY = -16;
const ENODEV = -19;
const EAGAIN = -11;

/** `table`: the function table exported (funcref), not exported (none), or an externref table exported in its place */
type TableKind = 'funcref' | 'none' | 'externref';
const TABLES: Record<TableKind, string> = {
  funcref: '(table (export "__indirect_function_table") 5 funcref)',
  none: '(table 5 funcref)',
  externref: '(table 5 funcref) (table (export "__indirect_function_table") 5 externref)',
};

const GUEST = (table: TableKind) => `(module
  (import "env" "memory" (memory 1 1 shared))
  (import "env" "hit" (func $hit (param i32 i32)))
  (import "ftrace" "register_ftrace_function" (func $reg (param i32) (result i32)))
  (import "ftrace" "unregister_ftrace_function" (func $unreg (param i32) (result i32)))
  (import "ftrace" "ftrace_set_filter" (func $setf (param i32 i32 i32 i32) (result i32)))
  (import "ftrace" "ftrace_set_notrace" (func $setn (param i32 i32 i32 i32) (result i32)))
  (export "memory" (memory 0))
  ${TABLES[table]}
  ;; 1, 2: callbacks telling which they are; 3: a function of another type; 4: null
  (elem (i32.const 1) $cb_one $cb_two $wrong)
  (data (i32.const 32) "static ops here.")
  (func $cb_one (param $ip i32) (param $parent i32) (call $hit (i32.const 1) (local.get $ip)))
  (func $cb_two (param $ip i32) (param $parent i32) (call $hit (i32.const 2) (local.get $ip)))
  (func $wrong (param i64) (result i64) (local.get 0))
  (func $leaf (export "leaf") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func $mid (export "mid") (param i32) (result i32) (call $leaf (local.get 0)))
  (func (export "reg") (param i32) (result i32) (call $reg (local.get 0)))
  (func (export "unreg") (param i32) (result i32) (call $unreg (local.get 0)))
  (func (export "filter") (param i32 i32 i32 i32) (result i32) (call $setf (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "notrace") (param i32 i32 i32 i32) (result i32) (call $setn (local.get 0) (local.get 1) (local.get 2) (local.get 3))))`;

function build(table: TableKind) {
  // traced: leaf and mid (the callbacks and the API's wrappers are notrace)
  const r = instrument(watToBinary(GUEST(table)), { notrace: ['cb_*', 'wrong', 'reg', 'unreg', 'filter', 'notrace'] });
  return { module: new WebAssembly.Module(r.binary as Uint8Array<ArrayBuffer>), ip: (name: string) => r.metadata.names.indexOf(name) };
}
const guest = build('funcref');
const IP = { leaf: guest.ip('leaf'), mid: guest.ip('mid') };

type Exports = Record<'reg' | 'unreg' | 'mid' | 'leaf', (a: number) => number> & Record<'filter' | 'notrace', (ops: number, buf: number, len: number, reset: number) => number>;

/** A program: its shared memory and state; `thread(name)` makes one more instance bound to the state, its callbacks logging `name cb ip`. */
function program(options: { textBytes?: number } = {}) {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const state = SharedFtraceState.create({ maxThreads: 8, ...options });
  const log: string[] = [];
  const words = new Uint32Array(memory.buffer);
  let textAt = A.TEXT;
  return {
    memory,
    state,
    log,
    flags: (ops: number) => Atomics.load(words, ops / 4 + 1),
    /** a new ops struct: func, flags 0 (as malloc'ed, or freed and malloc'ed again) */
    newOps(ops: number, func: number) {
      Atomics.store(words, ops / 4, func);
      Atomics.store(words, ops / 4 + 1, 0);
    },
    /** the UTF-8 text somewhere in memory: [ptr, len] */
    text(s: string): [number, number] {
      const bytes = new TextEncoder().encode(s);
      new Uint8Array(memory.buffer).set(bytes, textAt);
      const at: [number, number] = [textAt, bytes.length];
      textAt += bytes.length;
      return at;
    },
    thread(name: string, options: FtraceThreadOptions & { attach?: boolean; module?: WebAssembly.Module } = {}) {
      const ft = Ftrace.forModule(options.module ?? guest.module);
      const t = new FtraceThread(ft, state, options);
      const instance = new WebAssembly.Instance(options.module ?? guest.module, { env: { memory, hit: (cb: number, ip: number) => log.push(`${name} ${cb} ${ip}`) }, ftrace: t.imports });
      if (options.attach !== false) t.attach(instance);
      const x = instance.exports as unknown as Exports;
      const table = instance.exports['__indirect_function_table'] as WebAssembly.Table | undefined;
      /** the functions this thread's ops would be called for, after taking up any change */
      const wanted = () => {
        t.sync();
        return ft.enabledFunctions().map((f) => f.name);
      };
      return { t, ft, x, instance, table, wanted, error: () => ft.guest.lastError };
    },
  };
}

describe('the guest API on threads sharing one state', () => {
  it('an ops one thread\'s guest registers runs on every thread, each calling its own table\'s function; unregister on another thread ends it everywhere', () => {
    const p = program();
    const a = p.thread('a');
    const b = p.thread('b');
    const c = p.thread('c');
    // c's table holds another function at index 1 (the same index, this thread's own)
    c.table!.set(1, c.table!.get(2));
    p.newOps(A.OPS, 1);
    expect(a.x.reg(A.OPS)).toBe(0);
    expect(a.error()).toBe(null);
    expect(p.flags(A.OPS)).toBe(ENABLED | DYNAMIC | INITIALIZED);
    for (const t of [a, b, c]) t.t.sync();
    expect([a.ft.registered.map((o) => o.name), b.ft.registered.map((o) => o.name)]).toEqual([['guest@1024'], ['guest@1024']]);
    a.x.leaf(0);
    b.x.mid(0);
    c.x.leaf(0);
    expect(p.log).toEqual([`a 1 ${IP.leaf}`, `b 1 ${IP.mid}`, `b 1 ${IP.leaf}`, `c 2 ${IP.leaf}`]);

    p.log.length = 0;
    expect(c.x.unreg(A.OPS)).toBe(0);
    expect(p.flags(A.OPS)).toBe(DYNAMIC); // ENABLED and INITIALIZED cleared, DYNAMIC kept (as in the kernel)
    a.x.leaf(0);
    b.x.mid(0);
    c.x.leaf(0);
    expect(p.log).toEqual([]);
    expect([a.ft.registered, b.ft.registered, c.ft.registered]).toEqual([[], [], []]);
    expect(b.x.unreg(A.OPS)).toBe(EINVAL);
    expect(b.error()).toBe('ops at 1024 is not registered');
  });

  it('registered anywhere is EBUSY everywhere, even when the struct\'s flags were scribbled over', () => {
    const p = program();
    const [a, b] = [p.thread('a'), p.thread('b')];
    p.newOps(A.OPS, 1);
    expect(a.x.reg(A.OPS)).toBe(0);
    expect(a.x.reg(A.OPS)).toBe(EBUSY);
    expect(a.error()).toBe('ops at 1024 is already registered');
    expect(b.x.reg(A.OPS)).toBe(EBUSY);
    p.newOps(A.OPS, 1); // flags 0 again, the registration stands
    expect(b.x.reg(A.OPS)).toBe(EBUSY);
    expect(b.error()).toBe('ops at 1024 is already registered');
    // only the registered one: another struct, and an ENABLED one nobody registered
    p.newOps(A.OPS2, 2);
    expect(b.x.reg(A.OPS2)).toBe(0);
    p.newOps(A.OPS + 12, 1);
    new Uint32Array(p.memory.buffer)[(A.OPS + 16) / 4] = ENABLED;
    expect(b.x.reg(A.OPS + 12)).toBe(EBUSY);
  });

  it('a filter set on a registered ops, from any thread, is every thread\'s: reset replaces, reset 0 adds; the same for notrace', () => {
    const p = program();
    const [a, b, c] = [p.thread('a'), p.thread('b'), p.thread('c')];
    p.newOps(A.OPS, 1);
    expect(a.x.reg(A.OPS)).toBe(0);
    expect(c.wanted()).toEqual(['leaf', 'mid']);
    expect(b.x.filter(A.OPS, ...p.text('mid'), 1)).toBe(0);
    expect([a.wanted(), c.wanted()]).toEqual([['mid'], ['mid']]);
    expect(c.x.filter(A.OPS, ...p.text('leaf'), 0)).toBe(0);
    expect(a.wanted()).toEqual(['leaf', 'mid']);
    expect(c.x.filter(A.OPS, ...p.text('leaf'), 1)).toBe(0);
    expect(b.wanted()).toEqual(['leaf']);
    expect(a.x.filter(A.OPS, ...p.text(''), 1)).toBe(0);
    expect(b.x.notrace(A.OPS, ...p.text('leaf'), 1)).toBe(0);
    expect(c.wanted()).toEqual(['mid']);
    expect(a.x.notrace(A.OPS, ...p.text('mid'), 0)).toBe(0);
    expect(b.wanted()).toEqual([]);
    expect(a.x.notrace(A.OPS, ...p.text('mid'), 1)).toBe(0);
    expect(c.wanted()).toEqual(['leaf']);
    expect(c.x.filter(A.OPS, ...p.text('nosuch'), 1)).toBe(EINVAL);
    expect(c.error()).toBe("'nosuch' matches no function");
    expect(b.wanted()).toEqual(['leaf']);
  });

  it('filters set before register are kept by that thread for its register: reset, added, and dropped for a new struct at the same address', () => {
    const p = program({ textBytes: 8 }); // a shared filter text holds 8 bytes: 'mid leaf' just fits
    const [a, b] = [p.thread('a'), p.thread('b')];
    p.newOps(A.OPS, 1);
    expect(a.x.filter(A.OPS, ...p.text('mid'), 1)).toBe(0);
    expect(p.flags(A.OPS)).toBe(INITIALIZED);
    expect(a.x.filter(A.OPS, ...p.text('leaf'), 0)).toBe(0);
    expect(a.x.filter(A.OPS, ...p.text('nosuch'), 0)).toBe(EINVAL);
    expect(a.error()).toBe("'nosuch' matches no function");
    expect(a.x.reg(A.OPS)).toBe(0);
    expect(b.wanted()).toEqual(['leaf', 'mid']);
    expect(a.x.unreg(A.OPS)).toBe(0);

    // reset 0 on nothing yet takes the text as it is; then adds
    expect(a.x.notrace(A.OPS, ...p.text('mid'), 0)).toBe(0);
    expect(a.x.notrace(A.OPS, ...p.text('leaf'), 0)).toBe(0);
    expect(a.x.reg(A.OPS)).toBe(0);
    expect(b.wanted()).toEqual([]);
    expect(a.x.unreg(A.OPS)).toBe(0);

    // what does not fit in the shared text is refused at register, which changes nothing
    expect(a.x.filter(A.OPS, ...p.text('mid leaf'), 0)).toBe(0);
    expect(a.x.filter(A.OPS, ...p.text('mid'), 0)).toBe(0);
    expect(a.x.reg(A.OPS)).toBe(EINVAL);
    expect(a.error()).toBe('filter text over 8 bytes cannot be shared (SharedFtraceState textBytes)');
    expect([p.flags(A.OPS), a.t.isRegistered(A.OPS, KIND_GUEST)]).toEqual([DYNAMIC | INITIALIZED, false]); // DYNAMIC left by the last unregister
    p.newOps(A.OPS, 1);

    // reset replaces what was set before; notrace reset too
    expect(a.x.filter(A.OPS, ...p.text('leaf'), 1)).toBe(0);
    expect(a.x.filter(A.OPS, ...p.text('mid'), 1)).toBe(0);
    expect(a.x.notrace(A.OPS, ...p.text('mid'), 1)).toBe(0);
    expect(a.x.notrace(A.OPS, ...p.text('leaf'), 1)).toBe(0);
    expect(a.x.reg(A.OPS)).toBe(0);
    expect(b.wanted()).toEqual(['mid']);
    expect(a.x.unreg(A.OPS)).toBe(0);

    // freed and malloc'ed again (flags 0): what was set on the old struct is gone
    expect(a.x.filter(A.OPS, ...p.text('mid'), 1)).toBe(0);
    p.newOps(A.OPS, 1);
    expect(a.x.notrace(A.OPS, ...p.text('leaf'), 0)).toBe(0);
    expect(a.x.reg(A.OPS)).toBe(0);
    expect(b.wanted()).toEqual(['mid']);
    expect(a.x.unreg(A.OPS)).toBe(0);
    expect(a.x.filter(A.OPS, ...p.text('mid'), 1)).toBe(0);
    p.newOps(A.OPS, 1);
    expect(a.x.reg(A.OPS)).toBe(0);
    expect(b.wanted()).toEqual(['leaf', 'mid']);
    expect(a.x.unreg(A.OPS)).toBe(0);

    // another thread's filters are its own: b registers with its notrace, without a's filter
    expect(a.x.filter(A.OPS, ...p.text('mid'), 1)).toBe(0);
    expect(b.x.notrace(A.OPS, ...p.text('leaf'), 0)).toBe(0);
    expect(b.x.reg(A.OPS)).toBe(0);
    expect(a.wanted()).toEqual(['mid']);
  });

  it('a static ops (in the module\'s data) is not DYNAMIC: called directly, its unregister never waits', () => {
    const p = program();
    const [a, b] = [p.thread('a'), p.thread('b', { blocking: false })];
    p.newOps(A.STATIC, 1);
    expect(a.x.reg(A.STATIC)).toBe(0);
    expect(p.flags(A.STATIC)).toBe(ENABLED | INITIALIZED);
    b.t.sync();
    expect([a.ft.mode, b.ft.mode]).toEqual(['direct', 'direct']);
    // b may not block, and needs not
    expect(b.x.unreg(A.STATIC)).toBe(0);
    expect(p.flags(A.STATIC)).toBe(0);
  });

  it('on a thread that may not block, unregister of a DYNAMIC ops is EAGAIN and changes nothing', () => {
    const p = program();
    const [a, b] = [p.thread('a'), p.thread('b', { blocking: false })];
    p.newOps(A.OPS, 1);
    expect(a.x.reg(A.OPS)).toBe(0);
    expect(b.x.unreg(A.OPS)).toBe(EAGAIN);
    expect(b.error()).toBe('ops at 1024 is DYNAMIC and this thread cannot block for the grace period: nothing changed');
    expect(p.flags(A.OPS)).toBe(ENABLED | DYNAMIC | INITIALIZED);
    b.t.callGuest(() => b.x.leaf(0));
    expect(p.log).toEqual([`b 1 ${IP.leaf}`]);
    expect(a.x.unreg(A.OPS)).toBe(0);
  });

  it('an ops at the very end of memory: registered, then its flags cleared at unregister', () => {
    const p = program();
    const a = p.thread('a');
    p.newOps(A.END, 1);
    expect(a.x.reg(A.END)).toBe(0);
    expect(a.x.unreg(A.END)).toBe(0);
    expect(p.flags(A.END)).toBe(DYNAMIC);
    expect(a.x.reg(A.END + 4)).toBe(EFAULT);
  });

  it('a guest registration the host made for a key outside memory: the guest\'s unregister ends it without touching memory', () => {
    const p = program();
    const a = p.thread('a');
    a.t.register(65532, { func: 1 }, KIND_GUEST); // its struct would run past the end of memory
    expect(a.x.unreg(65532)).toBe(0);
    expect(a.t.isRegistered(65532, KIND_GUEST)).toBe(false);
  });

  it('a thread without the instance yet, or without the function in its table, does not run the ops; it does once it has them', () => {
    const p = program();
    const a = p.thread('a');
    const late = p.thread('late', { attach: false });
    const holes = p.thread('holes');
    holes.table!.set(1, null);
    a.table!.grow(1);
    a.table!.set(5, a.table!.get(1));
    p.newOps(A.OPS, 1);
    p.newOps(A.OPS2, 5); // an index only a's table has
    expect(a.x.reg(A.OPS)).toBe(0);
    expect(a.x.reg(A.OPS2)).toBe(0);
    late.t.sync();
    holes.t.sync();
    expect([late.ft.registered, holes.ft.registered]).toEqual([[], []]);
    expect(a.ft.registered.map((o) => o.name)).toEqual(['guest@1024', 'guest@2048']);
    late.t.attach(late.instance);
    expect(late.ft.registered.map((o) => o.name)).toEqual(['guest@1024']);
    late.x.leaf(0);
    holes.x.leaf(0);
    expect(p.log).toEqual([`late 1 ${IP.leaf}`]);
  });

  it('every errno a guest can get, and why (lastError)', () => {
    const p = program();
    const a = p.thread('a');
    const detached = p.thread('d', { attach: false });
    const noTable = p.thread('n', { module: build('none').module });
    const noFunctions = p.thread('e', { module: build('externref').module });
    noFunctions.table!.set(1, 42);
    p.newOps(A.OPS, 1);
    expect(detached.x.reg(A.OPS)).toBe(ENODEV);
    expect(detached.error()).toBe('the guest exports no memory');
    expect(detached.x.filter(A.OPS, ...p.text('mid'), 1)).toBe(ENODEV);
    expect(detached.x.notrace(A.OPS, ...p.text('mid'), 1)).toBe(ENODEV);
    expect(noTable.x.reg(A.OPS)).toBe(EINVAL);
    expect(noTable.error()).toBe('the guest exports no function table (link with --export-table)');
    expect(noFunctions.x.reg(A.OPS)).toBe(EINVAL); // a table of something else under the function table's name
    expect(noFunctions.error()).toBe('ops at 1024: func 1 is not a function in the table');
    expect(a.x.reg(0)).toBe(EINVAL);
    expect(a.error()).toBe('ops pointer 0 is null or unaligned');
    expect(a.x.reg(A.OPS + 2)).toBe(EINVAL);
    expect(a.x.reg(-4)).toBe(EFAULT); // 0xfffffffc: an unsigned address, outside memory
    expect(a.error()).toBe('ops pointer 4294967292 is outside memory');
    expect(a.x.filter(-4, ...p.text('mid'), 1)).toBe(EFAULT);
    expect(a.x.notrace(A.OPS + 1, ...p.text('mid'), 1)).toBe(EINVAL);
    expect(a.x.filter(A.OPS, 65530, 10, 1)).toBe(EFAULT);
    expect(a.error()).toBe('text at 65530+10 is outside memory');
    expect(a.x.notrace(A.OPS, A.TEXT, -1, 1)).toBe(EINVAL);
    expect(a.error()).toBe('text length -1 is negative');
    p.newOps(A.OPS, 4);
    expect(a.x.reg(A.OPS)).toBe(EINVAL);
    expect(a.error()).toBe('ops at 1024: func 4 is not a function in the table');
    p.newOps(A.OPS, 99);
    expect(a.x.reg(A.OPS)).toBe(EINVAL);
    expect(a.error()).toBe('ops at 1024: func 99 is not a function in the table');
    p.newOps(A.OPS, 3);
    expect(a.x.reg(A.OPS)).toBe(EINVAL);
    expect(a.error()).toBe('ops at 1024: func 3 is not of type (i32 ip, i32 parent_ip) -> ()');
    expect(p.flags(A.OPS)).toBe(0);
    expect(a.t.isRegistered(A.OPS, 1)).toBe(false);
    // and a success clears the last error
    p.newOps(A.OPS, 1);
    expect(a.x.reg(A.OPS)).toBe(0);
    expect(a.error()).toBe(null);
  });
});

