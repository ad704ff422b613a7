/**
 * What the ring buffer holds: fixed-size event records, and the trace as
 * readers see it. Tracers write events; outputs read them and know nothing
 * of how they got there.
 */
import type { SourceLines } from '../abi/source-lines.js';

export const EVENT_ENTRY = 1;
export const EVENT_EXIT = 2;
export const EVENT_MARKER = 3;
/** a stack trace (func:stacktrace trigger): `ip` is the function, the frames follow as EVENT_STACK_FRAME records */
export const EVENT_STACK = 4;
export const EVENT_STACK_FRAME = 5;
export type EventType = typeof EVENT_ENTRY | typeof EVENT_EXIT | typeof EVENT_MARKER | typeof EVENT_STACK | typeof EVENT_STACK_FRAME;

/**
 * One event, as a reader sees it. Fields by type:
 *   ENTRY        ip, parent (ip or HOST_IP), depth (function_graph: call depth from 0; function: 0)
 *   EXIT         ip, depth, duration (same unit as ts: time since the matching ENTRY)
 *   MARKER       text (trace_marker)
 *   STACK        ip (the function the trigger fired on), depth = number of frames that follow
 *   STACK_FRAME  ip (one caller, innermost first)
 */
export interface TraceEvent {
  type: EventType;
  /** which traced instance (see TraceInstanceInfo.id) */
  instance: number;
  ip: number;
  parent: number;
  depth: number;
  /** the clock's value: microseconds for 'perf' and 'worker', a sequence number for 'counter' */
  ts: number;
  /** EXIT: duration in the clock's unit */
  duration: number;
  /** MARKER: the text */
  text?: string;
  /**
   * Set by the ring buffer: the record's sequence number, counted from 0 over
   * every record the buffer accepted. A gap between two events a reader saw
   * is the number of records it missed (overwritten, or consumed by another reader).
   */
  seq?: number;
}

/**
 * Clocks as ftrace names them: `perf` is high resolution time
 * (performance.now()), `worker` the same time line read from a cell a Worker
 * keeps current (cheap, coarser), `counter` strict order and no time.
 */
export type TraceClock = 'perf' | 'worker' | 'counter';

export const TRACE_CLOCKS: readonly TraceClock[] = ['perf', 'worker', 'counter'];

/** Whether the clock's values are microseconds (perf, worker) rather than sequence numbers (counter). */
export function clockHasTime(clock: TraceClock): boolean {
  return clock !== 'counter';
}

export interface TraceInstanceInfo {
  id: number;
  /** a label for outputs: the module's name, file name, or 'wasm' */
  name: string;
  /** display name per ip (FtraceMetadata.names) */
  names: readonly string[];
  /** the module's imported and total function counts: line N of a read-time filter is defined function N (ip importCount + N - 1), as `list` numbers them */
  importCount?: number;
  functionCount?: number;
  /** the thread that ran it (`pid` or `pid.threadId`), when the recording had more than one */
  thread?: string;
  /** each function's file:line (FtraceMetadata.sourceLines), when the module had DWARF or a source map */
  sourceLines?: SourceLines;
}

/**
 * A trace for outputs to read, streamed: the events are iterated (perhaps
 * several times, each pass reading them again from where they live, e.g. a
 * data file), never needed in memory at once. Outputs take this, so that a
 * file of 10^8 events goes through them holding one chunk at a time.
 */
export interface TraceStream {
  readonly tracer: string;
  readonly clock: TraceClock;
  /** every instance the events name (a reader adds placeholders for ids without a description) */
  readonly instances: readonly TraceInstanceInfo[];
  /** the events in order; each pass yields fresh objects, which the reader may keep */
  readonly events: Iterable<TraceEvent>;
  /** events in the trace (what remains after read-time filters) */
  readonly entries: number;
  /** events ever written, lost ones included */
  readonly written: number;
  /** events overwritten (overwrite mode) or dropped (stop mode) */
  readonly lost: number;
  /** whether any EXIT event is in the trace, when the source knows it without a pass (see traceHasExits) */
  readonly hasExits?: boolean;
}

/** A trace held in memory: the events as an array. */
export interface TraceData extends TraceStream {
  readonly events: readonly TraceEvent[];
}

/** Does the trace hold EXIT events (function_graph's calls), not just entries? */
export function traceHasExits(trace: TraceStream): boolean {
  if (trace.hasExits !== undefined) return trace.hasExits;
  for (const e of trace.events) if (e.type === EVENT_EXIT) return true;
  return false;
}
