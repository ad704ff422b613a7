/** register_tracer(): the tracers a trace array can select, by name. */
import { functionGraphTracer } from './function-graph.js';
import { functionTracer, nopTracer } from './function.js';
import { profilerTracer } from './profiler.js';
import type { Tracer } from './tracer.js';

export const TRACERS = new Map<string, Tracer>();

export function registerTracer(t: Tracer): void {
  if (TRACERS.has(t.name)) throw new Error(`a tracer named '${t.name}' is already registered`);
  TRACERS.set(t.name, t);
}

for (const t of [nopTracer, functionTracer, functionGraphTracer, profilerTracer]) registerTracer(t);

/** The tracer a trace was recorded with, when this build knows it: outputs take its printText and nestsCalls. */
export function tracerOf(trace: { readonly tracer: string }): Tracer | undefined {
  return TRACERS.get(trace.tracer);
}
