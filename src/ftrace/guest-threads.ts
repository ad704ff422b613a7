/**
 * The guest API (guest.ts's imports) when the threads share one ftrace
 * state (threads.ts): an ops a guest registers on any thread is called on
 * every thread, and its unregister waits for all of them.
 *
 * The shared description holds the struct's address (the key) and its
 * callback's index in the function table; each thread calls its own
 * table's function at that index (one instance per thread, the same
 * module: the same table contents, as with Emscripten pthreads). Only the
 * registering thread reads the struct, at register; no other thread ever
 * reads it, so a guest may free() it once unregister_ftrace_function
 * returned 0:
 *
 *   register_ftrace_function(ops)   0 | -EBUSY | -EINVAL | -EFAULT, as on one thread
 *   unregister_ftrace_function(ops) 0 once no thread can call it | -EINVAL |
 *                                   -EAGAIN on a thread that cannot block (a browser's
 *                                   main thread) for a DYNAMIC ops: nothing changed, call
 *                                   it from another thread | -EDEADLK (unregistered, not
 *                                   yet safe to free: see shared-rcu.ts)
 *   ftrace_set_filter / _notrace    on a registered ops: for every thread; before
 *                                   register: kept by this thread for its register
 */
import { FilterSpec } from '../abi/filter-spec.js';
import type { Ftrace } from './ftrace.js';
import { GUEST_OPS_SIZE, checkOpsPointer, errnoCall, guestCallback, guestMemoryAndTable, isCallbackType, memoryView, readGuestText, type GuestImports } from './guest.js';
import { EBUSY, EINVAL, FTRACE_OPS_FL_DYNAMIC, FTRACE_OPS_FL_ENABLED, FTRACE_OPS_FL_INITIALIZED, createOps, type FtraceOps } from './ops.js';
import { EAGAIN } from './shared-rcu.js';

/** The kind of a shared registration made through the guest API (threads.ts keys host ops by KIND_HOST, 0). */
export const KIND_GUEST = 1;

/** What the shared guest API needs of the thread's binding (FtraceThread; declared here so the two files do not import each other). */
export interface SharedGuestHost {
  readonly ft: Ftrace;
  readonly mayBlock: boolean;
  isRegistered(key: number, kind: number): boolean;
  register(key: number, options: { dynamic?: boolean; filter?: string; notrace?: string; func?: number }, kind: number): void;
  unregister(key: number, kind: number): void;
  setFilter(key: number, text: string, reset: boolean, kind: number): void;
  setNotrace(key: number, text: string, reset: boolean, kind: number): void;
}

export interface SharedGuestApi {
  imports: GuestImports;
  attach(instance: WebAssembly.Instance): void;
  /** this thread's ops for a guest's registration: its own table's function at `func`, or null without one */
  resolve(addr: number, func: number): FtraceOps | null;
}

export function createSharedGuestApi(host: SharedGuestHost): SharedGuestApi {
  let memory: WebAssembly.Memory | null = null;
  let table: WebAssembly.Table | null = null;
  /** filters this thread set on a struct before registering it */
  const pending = new Map<number, { filter: string; notrace: string }>();
  const ft = host.ft;

  function fail(errno: number, message: string): number {
    ft.guest.lastError = message;
    return -errno;
  }

  const view = () => memoryView(memory);

  function checkStruct(addr: number): DataView {
    const dv = view();
    checkOpsPointer(dv, addr);
    return dv;
  }

  const readText = (ptr: number, len: number) => readGuestText(view(), ptr, len);
  const guarded = (fn: () => number) => errnoCall(ft.guest, fn);

  function setText(ptr: number, buf: number, len: number, reset: number, which: 'filter' | 'notrace'): number {
    return guarded(() => {
      const addr = ptr >>> 0;
      const dv = checkStruct(addr);
      const text = readText(buf, len);
      if (host.isRegistered(addr, KIND_GUEST)) {
        if (which === 'filter') host.setFilter(addr, text, reset !== 0, KIND_GUEST);
        else host.setNotrace(addr, text, reset !== 0, KIND_GUEST);
        return 0;
      }
      const spec = FilterSpec.parse(text);
      const missing = spec.unmatched([ft.filterUniverse])[0];
      if (missing) return fail(EINVAL, `'${missing.text}' matches no function`);
      const flags = dv.getUint32(addr + 4, true);
      // no INITIALIZED: a new ops, even where a freed one had filters
      const p = flags & FTRACE_OPS_FL_INITIALIZED ? (pending.get(addr) ?? { filter: '', notrace: '' }) : { filter: '', notrace: '' };
      const old = p[which];
      p[which] = reset !== 0 || old === '' ? spec.text : `${old} ${spec.text}`;
      pending.set(addr, p);
      dv.setUint32(addr + 4, flags | FTRACE_OPS_FL_INITIALIZED, true);
      return 0;
    });
  }

  const imports: GuestImports = {
    register_ftrace_function: (ptr) =>
      guarded(() => {
        const addr = ptr >>> 0;
        const dv = checkStruct(addr);
        const flags = dv.getUint32(addr + 4, true);
        if (flags & FTRACE_OPS_FL_ENABLED || host.isRegistered(addr, KIND_GUEST)) return fail(EBUSY, `ops at ${addr} is already registered`);
        if (!table) return fail(EINVAL, 'the guest exports no function table (link with --export-table)');
        const index = dv.getUint32(addr, true);
        const fn = tableFunction(table, index);
        if (fn === null) return fail(EINVAL, `ops at ${addr}: func ${index} is not a function in the table`);
        if (!isCallbackType(fn)) return fail(EINVAL, `ops at ${addr}: func ${index} is not of type (i32 ip, i32 parent_ip) -> ()`);
        const p = flags & FTRACE_OPS_FL_INITIALIZED ? pending.get(addr) : undefined;
        const dynamic = !ft.coreKernelData(addr);
        host.register(addr, { dynamic, func: index, filter: p?.filter ?? '', notrace: p?.notrace ?? '' }, KIND_GUEST);
        pending.delete(addr);
        dv.setUint32(addr + 4, flags | FTRACE_OPS_FL_INITIALIZED | FTRACE_OPS_FL_ENABLED | (dynamic ? FTRACE_OPS_FL_DYNAMIC : 0), true);
        return 0;
      }),

    unregister_ftrace_function: (ptr) =>
      guarded(() => {
        const addr = ptr >>> 0;
        if (!host.isRegistered(addr, KIND_GUEST)) return fail(EINVAL, `ops at ${addr} is not registered`);
        const dynamic = !ft.coreKernelData(addr);
        if (dynamic && !host.mayBlock) return fail(EAGAIN, `ops at ${addr} is DYNAMIC and this thread cannot block for the grace period: nothing changed`);
        // The host's last touch of the struct, before the wait: once we return, the guest may free it.
        const dv = view();
        if (addr + GUEST_OPS_SIZE <= dv.byteLength) dv.setUint32(addr + 4, dv.getUint32(addr + 4, true) & ~(FTRACE_OPS_FL_ENABLED | FTRACE_OPS_FL_INITIALIZED), true);
        host.unregister(addr, KIND_GUEST);
        return 0;
      }),

    ftrace_set_filter: (ptr, buf, len, reset) => setText(ptr, buf, len, reset, 'filter'),
    ftrace_set_notrace: (ptr, buf, len, reset) => setText(ptr, buf, len, reset, 'notrace'),
  };

  return {
    imports,
    attach(instance) {
      ({ memory, table } = guestMemoryAndTable(instance));
    },
    resolve(addr, func) {
      const fn = table === null ? null : tableFunction(table, func);
      if (fn === null) return null;
      return createOps(guestCallback(ft.guest, fn as (ip: number, parentIp: number) => void), { name: `guest@${addr}` });
    },
  };
}

function tableFunction(table: WebAssembly.Table, index: number): unknown {
  try {
    const fn: unknown = table.get(index);
    return typeof fn === 'function' ? fn : null;
  } catch {
    return null;
  }
}
