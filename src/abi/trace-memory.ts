/**
 * The trace memory: a second linear memory the pass can give a module
 * (`--trace-memory`), imported as `ftrace.memory` so the host owns it and
 * every instance of a trace array writes into the same one. The program's own
 * memory is never touched. It holds the in-wasm recorder's ring and the
 * clock cell; the pass writes the code that fills it, the host
 * (ftrace/trace-memory.ts) drains it.
 *
 * Layout (bytes; little-endian, as wasm memory is):
 *
 *   0    f64  clock cell: microseconds, kept current by the worker clock
 *             (the worker clock's own cell layout, so it runs on this buffer)
 *   8    i32  the worker clock's state word
 *   16   i32  head: records written since the last drain
 *   20   i32  capacity: records the ring holds
 *   24   i32  clock kind: CLOCK_KIND_*
 *   64   the ring: `capacity` records of RECORD_BYTES
 *
 * A record:
 *
 *   +0   i32  kind | instance << 8  (kind: RECORD_*, instance: the trace array's id)
 *   +4   i32  ip
 *   +8   i32  parent ip (entries)
 *   +16  f64  timestamp (clock kinds CELL and CALL; 0 for COUNTER)
 *
 * The module writes a record only while the host has put the instance in
 * direct-in-wasm mode (one recordable ops, see Ftrace.update); a full ring
 * calls `ftrace.drain`, and the host drains at every other point where it
 * takes control (any hook call, marker, state change, read), so records
 * reach the tracer in exactly the order the JS path would have seen them.
 */

export const TRACE_MEMORY = {
  /** the import: `(import "ftrace" "memory" (memory 0 65536 shared))` */
  memory: 'memory',
  /** `ftrace.drain() -> ()`: the ring is full; the host empties it (head = 0) */
  drain: 'drain',
  /** `ftrace.clock() -> f64`: a timestamp, for clock kind CALL (perf) */
  clock: 'clock',
} as const;

export const TM_CLOCK_CELL = 0;
export const TM_CLOCK_STATE = 8;
export const TM_HEAD = 16;
export const TM_CAPACITY = 20;
export const TM_CLOCK_KIND = 24;
export const TM_RING = 64;

export const RECORD_BYTES = 24;
export const RECORD_KIND_MASK = 0xff;
export const RECORD_INSTANCE_SHIFT = 8;
export const RECORD_ENTRY = 1;
export const RECORD_EXIT = 2;
export const REC_IP = 4;
export const REC_PARENT = 8;
export const REC_TS = 16;

/** Int32Array index of record k's first word (kind | instance << 8); ip and parent follow. */
export function recordWord(k: number): number {
  return (TM_RING + k * RECORD_BYTES) >> 2;
}

/** Float64Array index of record k's timestamp. */
export function recordTsIndex(k: number): number {
  return (TM_RING + k * RECORD_BYTES + REC_TS) >> 3;
}

/** The recorder stores no time; the host numbers records as it drains them (the counter clock). */
export const CLOCK_KIND_COUNTER = 0;
/** The recorder loads the clock cell (the worker clock). */
export const CLOCK_KIND_CELL = 1;
/** The recorder calls `ftrace.clock` (perf: exact, a call into the host per event). */
export const CLOCK_KIND_CALL = 2;

/**
 * `__ftrace_control` indexes beyond the guard words (which count up from 0)
 * and the token reset (-1).
 */
export const CONTROL_SET_INSTANCE = -2;
/** value 1: entries and exits go to the in-wasm recorder; 0: to `ftrace.mcount` */
export const CONTROL_SET_DIRECT = -3;

/** WebAssembly page size. */
const PAGE = 65536;

/** Pages a trace memory needs for a ring of `records` records. */
export function traceMemoryPages(records: number): number {
  return Math.ceil((TM_RING + records * RECORD_BYTES) / PAGE);
}

let multiMemory: boolean | undefined;

/**
 * Can this engine compile a module with a second memory (Node >= 22,
 * Chromium, Firefox; not Node 20)? Asked once, by validating the smallest
 * such module.
 */
export function engineHasMultiMemory(): boolean {
  if (multiMemory === undefined) {
    // (module (memory 0) (memory 0))
    const bytes = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 5, 2, 0, 0, 0, 0]);
    try {
      multiMemory = WebAssembly.validate(bytes);
    } catch {
      multiMemory = false;
    }
  }
  return multiMemory;
}
