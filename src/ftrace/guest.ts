/**
 * The API as the wasm guest sees it: imports in module `ftrace` that take a
 * pointer to an ops struct in linear memory (wasm32, little endian):
 *
 *   offset 0  u32 func     index into the guest's function table; (i32 ip, i32 parent_ip) -> ()
 *   offset 4  u32 flags    ENABLED = 1, DYNAMIC = 4, INITIALIZED = 256: written by the host;
 *                          the guest sets 0 in a new ops (static, calloc, or by hand)
 *   offset 8  u32 private  the guest's own
 *
 *   register_ftrace_function(ops) -> 0 | -EBUSY | -EINVAL | -EFAULT
 *   unregister_ftrace_function(ops) -> 0 | -EINVAL
 *   ftrace_set_filter(ops, buf, len, reset) -> 0 | -EINVAL | -EFAULT
 *   ftrace_set_notrace(ops, buf, len, reset) -> 0 | -EINVAL | -EFAULT
 *
 * Pointers are unsigned (wasm32 addresses up to 4 GiB, though JS sees the
 * i32 as signed). -EINVAL: a null or unaligned ops, a func that is not a
 * function of type (i32, i32) -> () in the table, a negative length, a bad
 * filter. -EFAULT: an ops or a text that does not lie inside memory. Nothing
 * a guest passes throws into it.
 *
 * The host reads the struct when the guest registers it and keeps what it
 * needs (the callback) on its side. After unregister returns it never reads
 * or writes those bytes again, so the guest may free() the ops at once, even
 * from inside the ops' own callback.
 *
 * Host state (filters set before register, the registration) is keyed by the
 * address and by INITIALIZED in the struct, which the host sets when it
 * creates that state and clears at unregister: an ops malloc'ed where a freed
 * one was starts with flags 0, so it starts clean even if the freed one had a
 * filter and was never registered.
 */
import { FilterError } from './hash.js';
import { FTRACE_OPS_FL_DYNAMIC, FTRACE_OPS_FL_ENABLED, FTRACE_OPS_FL_INITIALIZED, EBUSY, EFAULT, EINVAL, ENODEV, FtraceError, createOps, type FtraceOps } from './ops.js';

export const GUEST_OPS_SIZE = 12;

// A type, not an interface: it must be assignable to WebAssembly.ModuleImports (an index signature).
export type GuestImports = {
  register_ftrace_function(ops: number): number;
  unregister_ftrace_function(ops: number): number;
  ftrace_set_filter(ops: number, buf: number, len: number, reset: number): number;
  ftrace_set_notrace(ops: number, buf: number, len: number, reset: number): number;
};

/** Why the last guest call failed, for messages a host can show. */
export interface GuestApi {
  imports: GuestImports;
  attach(instance: WebAssembly.Instance): void;
  lastError: string | null;
  /** UTF-8 text at buf..buf+len in the guest's memory (throws FtraceError EINVAL/EFAULT outside it) */
  readText(buf: number, len: number): string;
  /**
   * Brackets every call of a guest callback: the host calling into the
   * module from inside mcount. A tracer that keeps a shadow stack marks the
   * callback's frames as nested in a host call there (TraceArray does), so
   * that an entry from HOST inside it does not look like a trap unwinding.
   */
  onCallback: { enter(): void; leave(): void } | null;
}

/** What the guest API calls on the core (Ftrace implements it; declared here so the two files do not import each other). */
export interface GuestHost {
  register(ops: FtraceOps): void;
  unregister(ops: FtraceOps): void;
  setFilter(ops: FtraceOps, filter: string, reset: boolean): void;
  setNotrace(ops: FtraceOps, filter: string, reset: boolean): void;
}

export function createGuestApi(ft: GuestHost): GuestApi {
  let memory: WebAssembly.Memory | null = null;
  let table: WebAssembly.Table | null = null;
  /** ops the guest has touched, by address; dropped at unregister */
  const byAddress = new Map<number, FtraceOps>();
  const api: GuestApi = { imports: undefined as unknown as GuestImports, attach, lastError: null, readText: (b, l) => readText(b, l), onCallback: null };

  function attach(instance: WebAssembly.Instance): void {
    ({ memory, table } = guestMemoryAndTable(instance));
  }

  function fail(errno: number, message: string): number {
    api.lastError = message;
    return -errno;
  }

  const view = () => memoryView(memory);
  /** `addr` is the u32 address (callers pass `ptr >>> 0`). */
  const checkStruct = (addr: number) => checkOpsPointer(view(), addr);

  /**
   * The host-side ops for the guest struct at addr (checked), created on first
   * use (a filter may be set before register) and marked INITIALIZED in the
   * struct. State left by an unregistered ops whose memory now holds a new
   * one (no INITIALIZED) is dropped.
   */
  function opsAt(addr: number): FtraceOps {
    const dv = view();
    const flags = dv.getUint32(addr + 4, true);
    let ops = byAddress.get(addr);
    if (ops && !(flags & FTRACE_OPS_FL_INITIALIZED) && !(ops.flags & FTRACE_OPS_FL_ENABLED)) ops = undefined;
    if (!ops) {
      ops = createOps(() => {}, { name: `guest@${addr}` });
      ops.address = addr;
      byAddress.set(addr, ops);
    }
    dv.setUint32(addr + 4, flags | FTRACE_OPS_FL_INITIALIZED, true);
    return ops;
  }

  const readText = (ptr: number, len: number) => readGuestText(view(), ptr, len);
  const guarded = (fn: () => number) => errnoCall(api, fn);
  /** ftrace_set_filter and ftrace_set_notrace(ops, buf, len, reset): they differ only in the hash they set */
  const setHash =
    (which: 'setFilter' | 'setNotrace') =>
    (ptr: number, buf: number, len: number, reset: number): number =>
      guarded(() => {
        const addr = ptr >>> 0;
        checkStruct(addr);
        ft[which](opsAt(addr), readText(buf, len), reset !== 0);
        return 0;
      });

  api.imports = {
    register_ftrace_function: (ptr) =>
      guarded(() => {
        const addr = ptr >>> 0;
        checkStruct(addr);
        const dv = view();
        const flags = dv.getUint32(addr + 4, true);
        const existing = byAddress.get(addr);
        if (flags & FTRACE_OPS_FL_ENABLED || (existing && existing.flags & FTRACE_OPS_FL_ENABLED)) {
          return fail(EBUSY, `ops at ${addr} is already registered`);
        }
        if (!table) return fail(EINVAL, 'the guest exports no function table (link with --export-table)');
        const index = dv.getUint32(addr, true);
        let fn: unknown = null;
        try {
          fn = table.get(index);
        } catch {
          // an index past the table's end: not a function either
        }
        if (typeof fn !== 'function') return fail(EINVAL, `ops at ${addr}: func ${index} is not a function in the table`);
        if (!isCallbackType(fn)) return fail(EINVAL, `ops at ${addr}: func ${index} is not of type (i32 ip, i32 parent_ip) -> ()`);
        const ops = opsAt(addr);
        ops.func = guestCallback(api, fn as (ip: number, parentIp: number) => void);
        ft.register(ops);
        dv.setUint32(addr + 4, flags | FTRACE_OPS_FL_INITIALIZED | (ops.flags & (FTRACE_OPS_FL_ENABLED | FTRACE_OPS_FL_DYNAMIC)), true);
        return 0;
      }),

    unregister_ftrace_function: (ptr) =>
      guarded(() => {
        const addr = ptr >>> 0;
        const ops = byAddress.get(addr);
        if (!ops || !(ops.flags & FTRACE_OPS_FL_ENABLED)) return fail(EINVAL, `ops at ${addr} is not registered`);
        ft.unregister(ops);
        // The last time the host touches the guest's struct: clear ENABLED
        // (DYNAMIC stays, as in the kernel) and INITIALIZED, then forget the address.
        const dv = view();
        dv.setUint32(addr + 4, dv.getUint32(addr + 4, true) & ~(FTRACE_OPS_FL_ENABLED | FTRACE_OPS_FL_INITIALIZED), true);
        byAddress.delete(addr);
        return 0;
      }),

    ftrace_set_filter: setHash('setFilter'),
    ftrace_set_notrace: setHash('setNotrace'),
  };
  return api;
}

/**
 * The ops func that calls a guest's callback: it takes (i32 ip, i32
 * parent_ip), so HOST is -1 there; api.onCallback (read at each call)
 * brackets it.
 */
export function guestCallback(api: Pick<GuestApi, 'onCallback'>, callback: (ip: number, parentIp: number) => void): (ip: number, parentIp: number) => void {
  return (ip, parentIp) => {
    const around = api.onCallback;
    if (around === null) return callback(ip, parentIp | 0);
    around.enter();
    try {
      callback(ip, parentIp | 0);
    } finally {
      around.leave();
    }
  };
}

/** A view of the guest's memory; FtraceError ENODEV without one. */
export function memoryView(memory: WebAssembly.Memory | null): DataView {
  if (!memory) throw new FtraceError('the guest exports no memory', ENODEV);
  return new DataView(memory.buffer);
}

/** Throws FtraceError EINVAL for a null or unaligned ops pointer, EFAULT for one whose struct is not all inside memory. `addr` is the u32 address. */
export function checkOpsPointer(dv: DataView, addr: number): void {
  if (addr === 0 || addr % 4 !== 0) throw new FtraceError(`ops pointer ${addr} is null or unaligned`, EINVAL);
  if (addr + GUEST_OPS_SIZE > dv.byteLength) throw new FtraceError(`ops pointer ${addr} is outside memory`, EFAULT);
}

/** UTF-8 text at ptr..ptr+len (`ptr` read as u32, `len` a signed i32); FtraceError EINVAL/EFAULT outside memory. */
export function readGuestText(dv: DataView, ptr: number, len: number): string {
  const buf = ptr >>> 0;
  if (!Number.isInteger(len) || len < 0) throw new FtraceError(`text length ${len} is negative`, EINVAL);
  if (buf + len > dv.byteLength) throw new FtraceError(`text at ${buf}+${len} is outside memory`, EFAULT);
  // slice(): a copy, since TextDecoder refuses views of shared memory in browsers
  return new TextDecoder().decode(new Uint8Array(dv.buffer, buf, len).slice());
}

/** Runs the body of a guest import: an FtraceError or FilterError becomes -errno, its message in api.lastError; nothing else is caught. */
export function errnoCall(api: { lastError: string | null }, fn: () => number): number {
  try {
    api.lastError = null;
    return fn();
  } catch (e) {
    if (e instanceof FtraceError || e instanceof FilterError) {
      api.lastError = e.message;
      return -(e instanceof FtraceError ? e.errno : EINVAL);
    }
    throw e;
  }
}

/** The guest's memory (`memory`, else the first exported) and function table (`__indirect_function_table`, else the only exported one). */
export function guestMemoryAndTable(instance: WebAssembly.Instance): { memory: WebAssembly.Memory | null; table: WebAssembly.Table | null } {
  const exports = Object.values(instance.exports);
  const memory = (instance.exports['memory'] as WebAssembly.Memory | undefined) ?? (exports.find((e) => e instanceof WebAssembly.Memory) as WebAssembly.Memory | undefined) ?? null;
  const named = instance.exports['__indirect_function_table'];
  const tables = exports.filter((e): e is WebAssembly.Table => e instanceof WebAssembly.Table);
  return { memory, table: named instanceof WebAssembly.Table ? named : tables.length === 1 ? tables[0]! : null };
}

/**
 * (module (import "m" "f" (func (param i32 i32)))): linking a table's
 * function to this import succeeds only when its type is exactly the
 * callback's, so a wrong signature is refused at register time rather than
 * failing at the next traced entry (JS cannot see a wasm function's type).
 */
const CALLBACK_TYPE_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x06, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x00, // type 0: (i32, i32) -> ()
  0x02, 0x07, 0x01, 0x01, 0x6d, 0x01, 0x66, 0x00, 0x00, // import m.f: func type 0
]);
let probe: WebAssembly.Module | null = null;

export function isCallbackType(fn: unknown): boolean {
  probe ??= new WebAssembly.Module(CALLBACK_TYPE_PROBE);
  try {
    new WebAssembly.Instance(probe, { m: { f: fn as () => void } });
  } catch {
    return false;
  }
  return true;
}
