/**
 * The trace array record and run build for a module: its clock, and the
 * trace memory when the module was instrumented with one (the worker clock
 * then runs on the trace memory's buffer, so the in-wasm recorder reads
 * the time with one load).
 */
import type { InstrumentOptions } from '../instrument/pass.js';
import type { TraceClock } from '../ring/event.js';
import { nodeClockOptions } from '../runtime/node-clock.js';
import { TraceArray } from '../tracers/trace-array.js';
import type { TracerName } from '../tracers/tracer.js';
import type { CliIO } from './io.js';

export interface TraceSetup {
  tr: TraceArray;
  /** stops the worker clock, if one runs */
  stop(): void;
}

export function traceArrayFor(pass: InstrumentOptions, tracer: TracerName, clockName: TraceClock, bufferKb: number | undefined, io: CliIO): TraceSetup {
  const clock = nodeClockOptions(clockName, pass.traceMemory === true);
  if (clock.clockNote) io.stderr(`wasm-ftrace: ${clock.clockNote}\n`);
  const tr = new TraceArray({ tracer, ...clock, ...(bufferKb ? { bufferKb } : {}) });
  return { tr, stop: () => clock.workerClock?.stop() };
}
