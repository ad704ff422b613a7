/**
 * struct ftrace_ops, for wasm: a callback plus the hashes that say which
 * functions it wants. Flags are numbered as the kernel numbers them, because
 * the guest ABI writes them into linear memory.
 */
import { FtraceHash } from './hash.js';

/** The ops is registered and may be called. */
export const FTRACE_OPS_FL_ENABLED = 1 << 0;
/** The ops does not live in the module's static data: it may be freed, so it is always called through the list function. */
export const FTRACE_OPS_FL_DYNAMIC = 1 << 2;
/**
 * The host holds state for this guest ops (a filter, a registration): set by
 * the host in the guest's struct, cleared at unregister. A struct whose flags
 * lack it is a new ops, even at the address of a freed one.
 */
export const FTRACE_OPS_FL_INITIALIZED = 1 << 8;

export const EBUSY = 16;
export const EINVAL = 22;
/** a pointer or a buffer outside the guest's memory */
export const EFAULT = 14;
export const ENODEV = 19;

/**
 * The callback. `ip` is the traced function's index in the input module;
 * `parentIp` its caller's, or HOST_IP (0xFFFFFFFF) when called from outside.
 */
export type FtraceFunc = (ip: number, parentIp: number, ops: FtraceOps) => void;

/** The return handler (fgraph_ops.retfunc): called on every exit of a function the ops wants, in modules built with exit hooks. */
export type FtraceRetFunc = (ip: number, ops: FtraceOps) => void;

export interface FtraceOps {
  func: FtraceFunc;
  /** function_graph-style ops also want exits */
  retfunc?: FtraceRetFunc;
  /** FTRACE_OPS_FL_*; ENABLED and DYNAMIC are set by register, ENABLED cleared by unregister */
  flags: number;
  /** functions to call for; empty means all */
  filterHash: FtraceHash;
  /** functions never to call for; wins over filterHash */
  notraceHash: FtraceHash;
  /** where the ops lives in the guest's linear memory, for ops the guest registers */
  address?: number;
  /** for views and messages */
  name: string;
  /** set while func runs: the per-ops recursion guard */
  busy: number;
  /** calls skipped because func was already running (it called traced wasm) */
  recursionMissed: number;
  /**
   * The ops may be run later, from the in-wasm recorder's records, instead of
   * at the hook: it only records what happened (reading the trace clock for
   * the time) and calls no wasm. A module with a trace memory then records
   * its events without leaving wasm while it is the one ops (Ftrace.update).
   */
  recordable?: boolean;
  /**
   * A recordable ops's fast way to take many records at once (what func and
   * retfunc would have done for each, in order). Without it the host calls
   * func/retfunc per record.
   */
  replay?: (batch: RecordBatch) => void;
}

/**
 * Records the in-wasm recorder wrote, for FtraceOps.replay: records start
 * to end-1 of the trace memory's ring, read through recordAt()
 * (src/abi/trace-memory.ts has the layout). `timed`: each record carries
 * its timestamp; otherwise the trace clock numbers them (counter).
 */
export interface RecordBatch {
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly start: number;
  readonly end: number;
  readonly timed: boolean;
  /** makes record k's timestamp the trace clock's "now" (for a replay through func/retfunc) */
  select(k: number): void;
}

export interface OpsOptions {
  name?: string;
  /**
   * Declare the ops DYNAMIC: it may be freed once unregistered, so it must
   * never be called directly. Ops registered by the guest are flagged from
   * their address instead.
   */
  dynamic?: boolean;
  /** also call this on every exit (needs a module instrumented with exit hooks) */
  retfunc?: FtraceRetFunc;
  /** see FtraceOps.recordable */
  recordable?: boolean;
  /** see FtraceOps.replay */
  replay?: (batch: RecordBatch) => void;
}

let anonymous = 0;

/** Creates an unregistered ops that traces every function until a filter is set (Ftrace.setFilter). */
export function createOps(func: FtraceFunc, options: OpsOptions = {}): FtraceOps {
  return {
    func,
    flags: options.dynamic ? FTRACE_OPS_FL_DYNAMIC : 0,
    filterHash: FtraceHash.EMPTY,
    notraceHash: FtraceHash.EMPTY,
    ...(options.retfunc ? { retfunc: options.retfunc } : {}),
    ...(options.recordable ? { recordable: true } : {}),
    ...(options.replay ? { replay: options.replay } : {}),
    name: options.name ?? `ops${++anonymous}`,
    busy: 0,
    recursionMissed: 0,
  };
}

/** An error with the kernel's errno, so the guest API can return -errno. */
export class FtraceError extends Error {
  override name = 'FtraceError';
  constructor(
    message: string,
    readonly errno: number,
  ) {
    super(message);
  }
}
