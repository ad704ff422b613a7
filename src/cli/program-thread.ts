/**
 * A traced program on a Worker of its own, supervised from the main thread,
 * which stays free to hear SIGINT, SIGTERM and SIGHUP while the program
 * computes (`record prog.wasm`, `run`). On a signal it asks the program's
 * thread to stop (record/program-job.ts): the next call the module makes
 * out of wasm ends the run there with what was traced so far. A program
 * that makes no such call within the grace period, or that waits in a
 * blocking WASI call, is terminated, and the caller makes the result from
 * what outlives the thread (record: the data file on the disk; run:
 * nothing). Either way the exit status is 128 + the signal's number, as a
 * shell reports a program killed by it.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { CONTROL, CONTROL_BYTES, KILLING, RUNNING } from '../record/program-job.js';
import type { ProgramThreadData, ProgramThreadMessage } from '../record/thread-messages.js';
import { CliError } from './errors.js';
import type { CliIO } from './io.js';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** how long the program has to reach a call out of wasm after a signal before it is terminated */
export const STOP_GRACE_MS = 2000;
/** how long a terminated program's thread may take to end before it is deemed stuck in a system call */
const STUCK_MS = 1000;

export interface Supervision<R> {
  /** the line printed when the program did not stop within the grace period and is terminated */
  killedLine(signal: NodeJS.Signals): string;
  /** the result once the program's thread was terminated (`tempPath`: what its `started` message said) */
  afterKill(signal: NodeJS.Signals, tempPath: string | undefined): R;
  /** for a thread stuck in a system call: what to print before the signal ends this process */
  stuckLine(result: R): string;
}

/** Starts `workerFile` (a script that calls serveProgramThread) on `job` and supervises it until it has a result. */
export function superviseProgramThread<J, R>(workerFile: string, job: J, io: CliIO, supervision: Supervision<R>): Promise<R> {
  const cells = new Int32Array(new SharedArrayBuffer(CONTROL_BYTES));
  const worker = new Worker(workerFile, { workerData: { job, control: cells.buffer } satisfies ProgramThreadData<J> });
  return new Promise<R>((resolve, reject) => {
    let tempPath: string | undefined;
    let signal: NodeJS.Signals | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      for (const s of SIGNALS) process.removeListener(s, onSignal);
      if (graceTimer) clearTimeout(graceTimer);
      void worker.terminate();
      fn();
    };
    let killing = false;
    /** The program did not stop by itself: end its thread ('exit' then makes the result). */
    const kill = (): void => {
      if (Atomics.compareExchange(cells, CONTROL.STATE, RUNNING, KILLING) !== RUNNING) return; // its thread is ending the run
      killing = true;
      if (Atomics.load(cells, CONTROL.BLOCKED) !== 1) io.stderr(supervision.killedLine(signal!));
      void worker.terminate();
      // A thread blocked in a system call (a read of stdin) ends only when the call returns, and
      // Node waits for it even in process.exit(): make the result, then let the signal end us.
      setTimeout(() => {
        if (settled) return;
        const result = supervision.afterKill(signal!, tempPath);
        settle(() => {
          io.stderr(supervision.stuckLine(result));
          process.kill(process.pid, signal!);
        });
      }, STUCK_MS).unref();
    };
    function onSignal(s: NodeJS.Signals): void {
      if (signal !== undefined) return kill(); // a second Ctrl-C: no more waiting
      signal = s;
      Atomics.store(cells, CONTROL.SIGNAL, os.constants.signals[s]);
      // waiting for stdin (or asleep): it cannot stop by itself
      if (Atomics.load(cells, CONTROL.BLOCKED) === 1) return kill();
      graceTimer = setTimeout(kill, STOP_GRACE_MS);
    }
    for (const s of SIGNALS) process.on(s, onSignal);
    worker.on('message', (m: ProgramThreadMessage<R>) => {
      if (m.kind === 'started') tempPath = m.tempPath;
      else if (m.kind === 'done' || m.kind === 'interrupted') settle(() => resolve(m.result));
      else {
        const error = m.error;
        settle(() => {
          if (error.user) return reject(new CliError(error.message));
          const err = new Error(error.message);
          err.name = error.name;
          if (error.stack !== undefined) err.stack = error.stack;
          reject(err);
        });
      }
    });
    worker.on('error', (e) => settle(() => reject(e)));
    worker.on('exit', (code) =>
      settle(() => {
        if (!killing) return reject(new Error(`the program's thread ended without a result (exit code ${code})`));
        resolve(supervision.afterKill(signal!, tempPath));
      }),
    );
  });
}
