/**
 * What `record prog.wasm` and `run` put alike into their program job
 * (record/program-job.ts) from the command line: the tracer, the clock, the
 * buffer and the filters. A worker clock and the trace memory start here,
 * on the main thread, and the job carries their shared buffers to the
 * program's thread; the caller stops the clock once the job is done.
 */
import type { ProgramJob } from '../record/program-job.js';
import { nodeClockOptions } from '../runtime/node-clock.js';
import type { CliIO } from './io.js';
import type { SharedFlags } from './options.js';

export type JobTracing = Pick<
  ProgramJob,
  'tracer' | 'clock' | 'workerClock' | 'clockNote' | 'traceMemory' | 'bufferKb' | 'maxGraphDepth' | 'filter' | 'notrace' | 'graphFunction'
>;

export function jobTracing(flags: SharedFlags, traceMemory: boolean, io: CliIO): { fields: JobTracing; stopClock(): void } {
  const clock = nodeClockOptions(flags.clock, traceMemory);
  if (clock.clockNote) io.stderr(`wasm-ftrace: ${clock.clockNote}\n`);
  const fields: JobTracing = {
    tracer: flags.tracer,
    ...(clock.clock !== undefined ? { clock: clock.clock } : {}),
    ...(clock.workerClock ? { workerClock: { buffer: clock.workerClock.cell.buffer as SharedArrayBuffer, info: clock.workerClock.info } } : {}),
    ...(clock.clockNote !== undefined ? { clockNote: clock.clockNote } : {}),
    ...(clock.wasmRing ? { traceMemory: clock.wasmRing.memory } : {}),
    ...(flags.bufferSize ? { bufferKb: flags.bufferSize } : {}),
    maxGraphDepth: flags.depth ?? 0,
    // checked against the module once it is added (the job sets them then)
    filter: [...(flags.filter ?? []), ...(flags.trigger ?? [])],
    ...(flags.notrace ? { notrace: flags.notrace } : {}),
    ...(flags.graphFunction ? { graphFunction: flags.graphFunction } : {}),
  };
  return { fields, stopClock: () => clock.workerClock?.stop() };
}
