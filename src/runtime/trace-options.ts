/**
 * The tracing options a page (attach) and a Node preload share, and the
 * trace array they describe. Browser-safe.
 */
import type { TraceClock } from '../ring/event.js';
import type { TracerName } from '../tracers/tracer.js';
import { TraceArray, type TraceArrayOptions } from '../tracers/trace-array.js';

export interface TraceOptions {
  /** 'function' (default), 'function_graph', 'profiler' or 'nop' */
  tracer?: TracerName;
  /** 'perf' (default, microseconds), 'worker' (the same microseconds from a cell a Worker keeps current) or 'counter' */
  clock?: TraceClock;
  /** ring buffer size in KiB */
  bufferKb?: number;
  /** false: stop recording when the buffer is full instead of overwriting the oldest events */
  overwrite?: boolean;
  /** set_ftrace_filter: globs and triggers (`parse*`, `main:traceoff`), space separated */
  filter?: string;
  /** set_ftrace_notrace */
  notrace?: string;
  /** function_graph: set_graph_function, set_graph_notrace, max_graph_depth */
  graphFunction?: string;
  graphNotrace?: string;
  maxGraphDepth?: number;
  /** what the pass instruments: `only` / `notrace` globs; exit hooks (default: what the tracer needs) */
  instrument?: { only?: string[]; notrace?: string[]; exitHooks?: boolean };
}

/**
 * A trace array set up as the options say. No module exists yet: each filter
 * expression is checked against modules as they come. `clock` is the clock
 * the runtime resolved (node-clock.ts, page-clock.ts): clock 'worker' comes
 * with its running Worker, or as 'perf' with a note.
 */
export function traceArrayFrom(
  options: TraceOptions,
  clock: Pick<TraceArrayOptions, 'clock' | 'workerClock' | 'clockNote' | 'wasmRing'> = options.clock !== undefined ? { clock: options.clock } : {},
): TraceArray {
  // (the trace array takes an undefined option as not given)
  const tr = new TraceArray({ tracer: options.tracer, ...clock, bufferKb: options.bufferKb, overwrite: options.overwrite });
  if (options.filter) tr.setFilter(options.filter);
  if (options.notrace) tr.setNotrace(options.notrace);
  if (options.graphFunction) tr.setGraphFunction(options.graphFunction);
  if (options.graphNotrace) tr.setGraphNotrace(options.graphNotrace);
  if (options.maxGraphDepth !== undefined) tr.maxGraphDepth = options.maxGraphDepth;
  return tr;
}
