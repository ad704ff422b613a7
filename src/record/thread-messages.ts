/**
 * The program's side of a traced program on a Worker of its own
 * (record/wasi-worker.ts, cli/run-worker.ts). What it tells the main
 * thread that supervises it (cli/program-thread.ts), in order: `started`
 * (record: the temporary data file exists), then one of `done`,
 * `interrupted` (the run ended at a signal with what was traced so far; the
 * thread waits to be terminated) or `error`.
 */
import os from 'node:os';
import { CONTROL, type StopControl } from './program-job.js';

export type ProgramThreadMessage<R> =
  | { kind: 'started'; tempPath: string }
  | { kind: 'done'; result: R }
  | { kind: 'interrupted'; result: R }
  | { kind: 'error'; error: ThreadError };

/** An error as it crosses to the main thread; `user`: the user's (one line, exit 1), else ours (a stack trace). */
export interface ThreadError {
  name: string;
  message: string;
  stack?: string;
  user: boolean;
}

/**
 * The stop control a program's thread hands its job (program-job.ts): when
 * the job has its result after a signal, `interrupted` is posted and the
 * thread stays out of the program until the main thread terminates it.
 */
export function workerStopControl<R>(cells: Int32Array, post: (m: ProgramThreadMessage<R>) => void): StopControl<R> {
  return {
    cells,
    signalName: (signo) => signalNames.get(signo) ?? `signal ${signo}`,
    stopped: (result) => {
      post({ kind: 'interrupted', result });
      for (;;) Atomics.wait(cells, CONTROL.STATE, Atomics.load(cells, CONTROL.STATE));
    },
  };
}

const signalNames = new Map(Object.entries(os.constants.signals).map(([name, n]) => [n, name]));

/** Errors that are the user's, told by name as cli/main.ts does. */
const USER_ERRORS = new Set(['RecordingError', 'ProgramError', 'FilterError', 'FtraceError', 'DataFileError']);

export function threadError(e: unknown): ThreadError {
  const err = e instanceof Error ? e : new Error(String(e));
  return { name: err.name, message: err.message, ...(err.stack !== undefined ? { stack: err.stack } : {}), user: USER_ERRORS.has(err.name) };
}

/** node:wasi warns that it is experimental, in a Worker too: noise for users of a tracer (bin/wasm-ftrace.js says the same). */
export function quietExperimentalWarnings(): void {
  process.removeAllListeners('warning');
  process.on('warning', (w) => {
    if (w.name !== 'ExperimentalWarning') process.stderr.write(`${w.name}: ${w.message}\n`);
  });
}
