/**
 * struct tracer, for wasm-ftrace: a plugin on the core. A tracer registers
 * ops on each traced instance when it is selected (init / attach) and takes
 * them away when another is (reset). The trace array owns the ring buffer,
 * the clock and the switches; outputs read what tracers wrote.
 */
import type { TraceArray, TracedInstance } from './trace-array.js';

export interface Tracer {
  readonly name: string;
  /** true when it needs modules instrumented with exit hooks */
  readonly needsExitHooks: boolean;
  /** start tracing one instance: create and register its ops (tr.applyFilters first) */
  attach(tr: TraceArray, inst: TracedInstance): void;
  /** stop tracing one instance: unregister what attach registered */
  detach(tr: TraceArray, inst: TracedInstance): void;
}
