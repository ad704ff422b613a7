/**
 * struct tracer, for wasm-ftrace: a plugin on the core. A tracer registers
 * ops on each traced instance when it is selected (init / attach) and takes
 * them away when another is (reset). The trace array owns the ring buffer,
 * the clock and the switches; outputs read what tracers wrote, and a tracer
 * says how its events read (print_header/print_line: printText, nestsCalls)
 * so that no output has to know tracers by name.
 */
import type { FtraceOps } from '../ftrace/ops.js';
import type { TextPrinter } from '../output/ftrace-text.js';
import type { ProfileRow } from '../output/profile.js';
import type { TraceData } from '../ring/event.js';
import type { RingBuffer } from '../ring/ring-buffer.js';
import type { TracedInstance } from './instance.js';

/**
 * What a tracer sees of the trace array it runs in (struct trace_array):
 * TraceArray implements it. Declared here, not imported from
 * trace-array.ts, so that tracers and the array that selects them do not
 * import each other.
 */
export interface TracerHost {
  readonly instances: readonly TracedInstance[];
  readonly ring: RingBuffer;
  /** the trace clock */
  readonly now: () => number;
  /** tracing_on */
  tracingOn: boolean;
  /** max_graph_depth (0: no limit) */
  maxGraphDepth: number;
  /** registers `ops` on `inst` with the array's filters applied */
  registerFiltered(inst: TracedInstance, ops: FtraceOps): void;
  /** unregisters what the tracer registered on `inst` */
  unregisterAll(inst: TracedInstance): void;
  /** a stack trace event for `inst` entering `ip` from `parent` */
  stackTrace(inst: TracedInstance, ip: number, parent: number): void;
  /** the buffer's events, without consuming them */
  read(): TraceData;
  /** delivers what in-wasm recorders hold (a tracer that reads its own state, like stat(), calls it first) */
  flush(): void;
}

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
  /** start tracing one instance: create and register its ops (through tr.registerFiltered) */
  attach(tr: TracerHost, inst: TracedInstance): void;
  /** stop tracing one instance: unregister what attach registered */
  detach(tr: TracerHost, inst: TracedInstance): void;
  /**
   * trace_stat: a tracer that keeps its results live instead of writing
   * events (the profiler) returns them here; `record` refuses such a tracer.
   */
  stat?(tr: TracerHost): ProfileRow[];
  /** clears what stat() returns (with the buffer) */
  resetStat?(tr: TracerHost): void;
  /**
   * The tracer's startup test: `target.tr` has this tracer selected and one
   * traced instance; the test calls target.run() and checks what the tracer
   * recorded. Throws an Error saying what is wrong.
   */
  selftest(target: SelftestTarget): void;
}

/** What a selftest runs on: a trace array with one instance whose calls are known. */
export interface SelftestTarget {
  tr: TracerHost;
  /** calls into the instance */
  run(): void;
  /** the ips run() enters, in order; every one of them traced, the callers first */
  entered: readonly number[];
}

/** Fails a selftest: `tracer 'x' selftest: what`. */
export function selftestFailure(tracer: string, what: string): Error {
  return new Error(`tracer '${tracer}' selftest: ${what}`);
}
