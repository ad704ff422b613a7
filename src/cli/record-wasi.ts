/**
 * `record prog.wasm`, the run: the program and its recording go to a Worker
 * (record/wasi-worker.ts) that this thread supervises (program-thread.ts),
 * free to hear SIGINT, SIGTERM and SIGHUP. On one, the next call the module
 * makes out of wasm finishes the data file with everything traced so far,
 * a footer saying `interrupted`. A program that makes no such call within
 * the grace period is terminated and the file is finished from what
 * reached the disk (record/partial.ts, as for `record -- node`).
 */
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { finishPartial } from '../record/partial.js';
import { RecordingError, recordWasi, type WasiRecordingJob, type WasiRecordingResult } from '../record/wasi-recording.js';
import { CliError } from './errors.js';
import type { CliIO } from './io.js';
import { STOP_GRACE_MS, superviseProgramThread } from './program-thread.js';

const WORKER = fileURLToPath(new URL('../record/wasi-worker.js', import.meta.url));

/** What `record` says about a run a signal stopped. */
export function interruptedLine(r: WasiRecordingResult, output: string): string {
  return r.problem !== null
    ? `wasm-ftrace: interrupted by ${r.interrupted}: ${r.problem}\n`
    : `wasm-ftrace: interrupted by ${r.interrupted}: the trace so far (${r.events} events) is in ${output}\n`;
}

export async function runWasiRecording(job: WasiRecordingJob, io: CliIO): Promise<WasiRecordingResult> {
  // From TypeScript source (the tests' in-process CLI) there is no compiled
  // worker script: the run stays on this thread, deaf to signals as before.
  if (!fs.existsSync(WORKER)) {
    try {
      return await recordWasi(job);
    } catch (e) {
      if (e instanceof RecordingError) throw new CliError(e.message);
      throw e;
    }
  }
  const finishFromDisk = (signal: NodeJS.Signals, tempPath: string | undefined): WasiRecordingResult => {
    const kept = tempPath !== undefined ? finishPartial(tempPath, job.output, signal) : null;
    return { exitCode: 128 + os.constants.signals[signal], interrupted: signal, events: kept?.events ?? 0, lost: 0, problem: kept ? null : 'nothing readable had reached the disk' };
  };
  return superviseProgramThread(WORKER, job, io, {
    killedLine: (signal) => `wasm-ftrace: the program did not stop within ${STOP_GRACE_MS / 1000} s of ${signal}: stopped it; the trace holds what had reached the disk\n`,
    afterKill: finishFromDisk,
    stuckLine: (r) => interruptedLine(r, job.output),
  });
}
