/** One traced wasm instance, as the trace array, its tracers and the filter commands see it. */
import type { Ftrace } from '../ftrace/ftrace.js';
import type { FtraceOps } from '../ftrace/ops.js';
import type { ShadowStack } from './shadow-stack.js';

export interface TracedInstance {
  id: number;
  name: string;
  ft: Ftrace;
  names: readonly string[];
  /** what the tracer registered on this instance */
  ops: FtraceOps[];
  /** trigger ops registered on this instance */
  triggerOps: FtraceOps[];
  /** the call stack as entries and exits show it (function_graph, profiler) */
  stack: ShadowStack;
  /** set_graph_function / set_graph_notrace, resolved for this module */
  graphFunctions: ReadonlySet<number> | null;
  graphNotrace: ReadonlySet<number>;
  instance?: WebAssembly.Instance;
  /** what identifies the module a trace came from: SHA-256 (hex) of its original bytes, when the recorder knows it */
  moduleHash?: string;
  /** its code section's layout (abi codeLayout), what `--symbols` matches an unstripped build by */
  codeLayout?: string;
}
