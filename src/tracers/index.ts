/** Tracers on the core, and the trace array that runs them. No Node APIs. */
export { TraceArray } from './trace-array.js';
export type { TraceArrayOptions, TracedInstance, Trigger, UnmatchedFilter } from './trace-array.js';
export { FTRACE_COMMANDS, registerFtraceCommand } from './commands.js';
export type { FtraceCommand } from './commands.js';
export type { Tracer, TracerHost, TracerName, TracerNames, SelftestTarget } from './tracer.js';
export { selftestFailure } from './tracer.js';
export { TRACERS, registerTracer, tracerOf } from './registry.js';
export { functionTracer, nopTracer } from './function.js';
export { functionGraphTracer, graphOps } from './function-graph.js';
export { profilerTracer, profileRows, resetProfile } from './profiler.js';
export { ShadowStack } from './shadow-stack.js';
