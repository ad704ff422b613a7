/**
 * struct tracer, for wasm-ftrace: a plugin on the core. A tracer registers
 * ops on each traced instance when it is selected (init / attach) and takes
 * them away when another is (reset). The trace array owns the ring buffer,
 * the clock and the switches; outputs read what tracers wrote, and a tracer
 * says how its events read (print_header/print_line: printText, nestsCalls)
 * so that no output has to know tracers by name.
 */
import type { TextPrinter } from '../output/ftrace-text.js';
import type { ProfileRow } from '../output/profile.js';
import type { TraceArray, TracedInstance } from './trace-array.js';

/**
 * The tracer names the type checker accepts where a tracer is selected
 * (`new TraceArray({ tracer })`, `setTracer`, the runtimes' options), so a
 * misspelt name fails to compile. A plugin that registers a tracer of its own
 * adds its name by declaration merging:
 *
 *   declare module 'wasm-ftrace' { interface TracerNames { my_tracer: true } }
 */
export interface TracerNames {
  nop: true;
  function: true;
  function_graph: true;
  profiler: true;
}
export type TracerName = keyof TracerNames;

export interface Tracer {
  readonly name: string;
  /** true when it needs modules instrumented with exit hooks */
  readonly needsExitHooks: boolean;
  /** print_header + print_line: how `cat trace` shows what it wrote */
  readonly printText: TextPrinter;
  /** its events nest as calls (entries with exits and depths): outputs draw calls, not single entries */
  readonly nestsCalls: boolean;
  /** start tracing one instance: create and register its ops (tr.applyFilters first) */
  attach(tr: TraceArray, inst: TracedInstance): void;
  /** stop tracing one instance: unregister what attach registered */
  detach(tr: TraceArray, inst: TracedInstance): void;
  /**
   * trace_stat: a tracer that keeps its results live instead of writing
   * events (the profiler) returns them here; `record` refuses such a tracer.
   */
  stat?(tr: TraceArray): ProfileRow[];
  /** clears what stat() returns (with the buffer) */
  resetStat?(tr: TraceArray): void;
  /**
   * The tracer's startup test: `target.tr` has this tracer selected and one
   * traced instance; the test calls target.run() and checks what the tracer
   * recorded. Throws an Error saying what is wrong.
   */
  selftest(target: SelftestTarget): void;
}

/** What a selftest runs on: a trace array with one instance whose calls are known. */
export interface SelftestTarget {
  tr: TraceArray;
  /** calls into the instance */
  run(): void;
  /** the ips run() enters, in order; every one of them traced, the callers first */
  entered: readonly number[];
}

/** Fails a selftest: `tracer 'x' selftest: what`. */
export function selftestFailure(tracer: string, what: string): Error {
  return new Error(`tracer '${tracer}' selftest: ${what}`);
}
