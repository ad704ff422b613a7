/**
 * The program's side of a traced program on a Worker of its own
 * (record/wasi-worker.ts, cli/run-worker.ts). What it tells the main
 * thread that supervises it (cli/program-thread.ts), in order: `started`
 * (record: the temporary data file exists), then one of `done`,
 * `interrupted` (the run ended at a signal with what was traced so far; the
 * thread waits to be terminated) or `error`.
 */
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { CONTROL, type StopControl } from './program-job.js';

/** What the main thread gives a program's thread (its workerData): the job and the shared stop cells (program-job.ts's CONTROL). */
export interface ProgramThreadData<J> {
  job: J;
  control: SharedArrayBuffer;
}

/**
 * A program thread's whole life, for its Worker script: node:wasi's
 * experimental warning silenced first, then `run` with the job and its stop
 * control (load node:wasi inside it, after the silencing), then `done` with
 * its result, or `error`.
 */
export async function serveProgramThread<J, R>(run: (job: J, control: StopControl<R>, post: (m: ProgramThreadMessage<R>) => void) => Promise<R>): Promise<void> {
  quietExperimentalWarnings();
  const port = parentPort!;
  const { job, control } = workerData as ProgramThreadData<J>;
  const post = (m: ProgramThreadMessage<R>): void => port.postMessage(m);
  try {
    post({ kind: 'done', result: await run(job, workerStopControl(new Int32Array(control), post), post) });
  } catch (e) {
    post({ kind: 'error', error: threadError(e) });
  }
}

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
function workerStopControl<R>(cells: Int32Array, post: (m: ProgramThreadMessage<R>) => void): StopControl<R> {
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

function threadError(e: unknown): ThreadError {
  const err = e instanceof Error ? e : new Error(String(e));
  return { name: err.name, message: err.message, ...(err.stack !== undefined ? { stack: err.stack } : {}), user: USER_ERRORS.has(err.name) };
}

/** node:wasi warns that it is experimental, in a Worker too: noise for users of a tracer (bin/wasm-ftrace.js says the same). */
function quietExperimentalWarnings(): void {
  process.removeAllListeners('warning');
  process.on('warning', (w) => {
    if (w.name !== 'ExperimentalWarning') process.stderr.write(`${w.name}: ${w.message}\n`);
  });
}
