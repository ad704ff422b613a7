/**
 * One `record prog.wasm` run: the trace array, the data file and the WASI
 * program, from a job that crosses a thread boundary as plain data.
 * cli/record-wasi.ts runs it in a Worker (wasi-worker.ts), so the main
 * thread stays free to hear Ctrl-C while the program computes.
 *
 * A stop (program-job.ts) finishes the data file here: the ring drained, a
 * footer saying `interrupted`. A program that calls out of wasm no more is
 * stopped by the main thread after a grace period, which finishes the file
 * from what reached the disk (record/partial.ts).
 */
import { DataFileError } from '../datafile/format.js';
import { runModule } from '../runtime/wasi.js';
import { runOptionsForJob, stopCheck, traceArrayForJob, type ProgramJob, type StopControl } from './program-job.js';
import { startRecording, type Recording } from './writer.js';

export interface WasiRecordingJob extends ProgramJob {
  moduleHash: string;
  /** the data file */
  output: string;
  /** for the header */
  command: string[];
  options: Record<string, unknown>;
}

export interface WasiRecordingResult {
  /** the program's exit status; for an interrupted run, 128 + the signal number */
  exitCode: number;
  /** the signal that stopped the program, when one did */
  interrupted?: string;
  /** events in the data file */
  events: number;
  lost: number;
  /** why the data file is incomplete (a full disk), null when it is whole */
  problem: string | null;
}

/** Tells the owner where the data file is written meanwhile, once it exists. */
export type StartedListener = (tempPath: string) => void;

export async function recordWasi(job: WasiRecordingJob, control?: StopControl<WasiRecordingResult>, onStarted?: StartedListener): Promise<WasiRecordingResult> {
  const tr = traceArrayForJob(job);
  let recording: Recording;
  try {
    recording = startRecording(tr, { path: job.output, command: job.command, options: job.options });
  } catch (e) {
    if (e instanceof DataFileError) throw new RecordingError(e.message);
    throw e;
  }
  onStarted?.(recording.tempPath);
  const result = (exitCode: number, interrupted?: string): WasiRecordingResult => ({
    exitCode,
    ...(interrupted !== undefined ? { interrupted } : {}),
    events: recording.events,
    lost: tr.stats.lost,
    problem: recording.problem,
  });
  const close = (interrupted?: string): void => {
    try {
      recording.close(interrupted);
    } catch (e) {
      if (e instanceof DataFileError) throw new RecordingError(e.message);
      throw e;
    }
  };
  const stop = control && {
    cells: control.cells,
    check: stopCheck(control.cells, (signo) => {
      const signal = control.signalName(signo);
      close(signal);
      return control.stopped(result(128 + signo, signal));
    }),
    // the main thread ends a program blocked in a system call at once: the trace so far goes to the disk first
    beforeBlocking: () => recording.flush(),
  };
  let exitCode = 1;
  try {
    const run = await runModule(job.binary, runOptionsForJob(job, tr, stop));
    exitCode = run.exitCode;
  } finally {
    close();
  }
  return result(exitCode);
}

/** A user-facing failure to write the data file (one line, exit 1), as opposed to a bug. */
export class RecordingError extends Error {
  override name = 'RecordingError';
}
