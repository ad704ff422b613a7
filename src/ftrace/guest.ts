/**
 * The API as the wasm guest sees it: imports in module `ftrace` that take a
 * pointer to an ops struct in linear memory (wasm32, little endian):
 *
 *   offset 0  u32 func     index into the guest's function table; (i32 ip, i32 parent_ip) -> ()
 *   offset 4  u32 flags    ENABLED = 1, DYNAMIC = 4: written back by the host
 *   offset 8  u32 private  the guest's own
 *
 *   register_ftrace_function(ops) -> 0 | -EBUSY | -EINVAL
 *   unregister_ftrace_function(ops) -> 0 | -EINVAL
 *   ftrace_set_filter(ops, buf, len, reset) -> 0 | -EINVAL
 *   ftrace_set_notrace(ops, buf, len, reset) -> 0 | -EINVAL
 *
 * The host reads the struct when the guest registers it and keeps what it
 * needs (the callback) on its side. After unregister returns it never reads
 * or writes those bytes again, so the guest may free() the ops at once, even
 * from inside the ops' own callback.
 */
import { FilterError } from './hash.js';
import type { Ftrace } from './ftrace.js';
import { FTRACE_OPS_FL_DYNAMIC, FTRACE_OPS_FL_ENABLED, EBUSY, EINVAL, ENODEV, FtraceError, createOps, type FtraceOps } from './ops.js';

export const GUEST_OPS_SIZE = 12;

export interface GuestImports {
  register_ftrace_function(ops: number): number;
  unregister_ftrace_function(ops: number): number;
  ftrace_set_filter(ops: number, buf: number, len: number, reset: number): number;
  ftrace_set_notrace(ops: number, buf: number, len: number, reset: number): number;
}

/** Why the last guest call failed, for messages a host can show. */
export interface GuestApi {
  imports: GuestImports;
  attach(instance: WebAssembly.Instance): void;
  lastError: string | null;
  /** UTF-8 text at buf..buf+len in the guest's memory (throws FtraceError EINVAL outside it) */
  readText(buf: number, len: number): string;
}

export function createGuestApi(ft: Ftrace): GuestApi {
  let memory: WebAssembly.Memory | null = null;
  let table: WebAssembly.Table | null = null;
  /** ops the guest has touched, by address; dropped at unregister */
  const byAddress = new Map<number, FtraceOps>();
  const api: GuestApi = { imports: undefined as unknown as GuestImports, attach, lastError: null, readText: (b, l) => readText(b, l) };

  function attach(instance: WebAssembly.Instance): void {
    const exports = Object.values(instance.exports);
    memory = (instance.exports['memory'] as WebAssembly.Memory | undefined) ?? (exports.find((e) => e instanceof WebAssembly.Memory) as WebAssembly.Memory | undefined) ?? null;
    const named = instance.exports['__indirect_function_table'];
    const tables = exports.filter((e): e is WebAssembly.Table => e instanceof WebAssembly.Table);
    table = named instanceof WebAssembly.Table ? named : tables.length === 1 ? tables[0]! : null;
  }

  function fail(errno: number, message: string): number {
    api.lastError = message;
    return -errno;
  }

  function view(): DataView {
    if (!memory) throw new FtraceError('the guest exports no memory', ENODEV);
    return new DataView(memory.buffer);
  }

  function checkStruct(addr: number): void {
    const dv = view();
    if (addr === 0 || addr % 4 !== 0 || addr + GUEST_OPS_SIZE > dv.byteLength) {
      throw new FtraceError(`ops pointer ${addr} is null, unaligned or outside memory`, EINVAL);
    }
  }

  /** The host-side ops for a guest address, created on first use (a filter may be set before register). */
  function opsAt(addr: number): FtraceOps {
    let ops = byAddress.get(addr);
    if (!ops) {
      ops = createOps(() => {}, { name: `guest@${addr}` });
      ops.address = addr;
      byAddress.set(addr, ops);
    }
    return ops;
  }

  function readText(buf: number, len: number): string {
    const dv = view();
    if (len < 0 || buf < 0 || buf + len > dv.byteLength) throw new FtraceError(`text at ${buf}+${len} is outside memory`, EINVAL);
    return new TextDecoder().decode(new Uint8Array(dv.buffer, buf, len));
  }

  function guarded(fn: () => number): number {
    try {
      api.lastError = null;
      return fn();
    } catch (e) {
      if (e instanceof FtraceError) return fail(e.errno, e.message);
      if (e instanceof FilterError) return fail(EINVAL, e.message);
      throw e;
    }
  }

  api.imports = {
    register_ftrace_function: (addr) =>
      guarded(() => {
        checkStruct(addr);
        const dv = view();
        const flags = dv.getUint32(addr + 4, true);
        const existing = byAddress.get(addr);
        if (flags & FTRACE_OPS_FL_ENABLED || (existing && existing.flags & FTRACE_OPS_FL_ENABLED)) {
          return fail(EBUSY, `ops at ${addr} is already registered`);
        }
        if (!table) return fail(EINVAL, 'the guest exports no function table (link with --export-table)');
        const index = dv.getUint32(addr, true);
        let fn: unknown;
        try {
          fn = table.get(index);
        } catch {
          fn = null;
        }
        if (typeof fn !== 'function') return fail(EINVAL, `ops at ${addr}: func ${index} is not a function in the table`);
        const callback = fn as (ip: number, parentIp: number) => void;
        const ops = opsAt(addr);
        // The guest's callback takes (i32 ip, i32 parent_ip): HOST is -1 there.
        ops.func = (ip, parentIp) => callback(ip, parentIp | 0);
        ft.register(ops);
        dv.setUint32(addr + 4, flags | (ops.flags & (FTRACE_OPS_FL_ENABLED | FTRACE_OPS_FL_DYNAMIC)), true);
        return 0;
      }),

    unregister_ftrace_function: (addr) =>
      guarded(() => {
        const ops = byAddress.get(addr);
        if (!ops || !(ops.flags & FTRACE_OPS_FL_ENABLED)) return fail(EINVAL, `ops at ${addr} is not registered`);
        ft.unregister(ops);
        // The last time the host touches the guest's struct: clear ENABLED
        // (DYNAMIC stays, as in the kernel), then forget the address.
        const dv = view();
        dv.setUint32(addr + 4, dv.getUint32(addr + 4, true) & ~FTRACE_OPS_FL_ENABLED, true);
        byAddress.delete(addr);
        return 0;
      }),

    ftrace_set_filter: (addr, buf, len, reset) =>
      guarded(() => {
        checkStruct(addr);
        ft.setFilter(opsAt(addr), readText(buf, len), reset !== 0);
        return 0;
      }),

    ftrace_set_notrace: (addr, buf, len, reset) =>
      guarded(() => {
        checkStruct(addr);
        ft.setNotrace(opsAt(addr), readText(buf, len), reset !== 0);
        return 0;
      }),
  };
  return api;
}
