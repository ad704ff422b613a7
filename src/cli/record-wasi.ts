/**
 * `record prog.wasm`, the run: the program and its recording go to a Worker
 * (record/wasi-worker.ts) and this thread waits, free to hear SIGINT,
 * SIGTERM and SIGHUP. On one it asks the program's thread to stop: the next
 * call the module makes out of wasm finishes the data file with everything
 * traced so far, a footer saying `interrupted`. A program that makes no
 * such call within the grace period is terminated and the file is finished
 * from what reached the disk (record/partial.ts, as for `record -- node`).
 * Either way the exit status is 128 + the signal's number, as a shell
 * reports a program killed by it.
 */
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { finishPartial } from '../record/partial.js';
import { CONTROL, CONTROL_BYTES, KILLING, RUNNING, RecordingError, recordWasi, type WasiRecordingJob, type WasiRecordingResult } from '../record/wasi-recording.js';
import type { WasiWorkerData, WasiWorkerMessage } from '../record/wasi-worker.js';
import { CliError } from './errors.js';
import type { CliIO } from './io.js';

const WORKER = fileURLToPath(new URL('../record/wasi-worker.js', import.meta.url));
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** how long the program has to reach a call out of wasm after a signal before it is terminated */
export const STOP_GRACE_MS = 2000;
/** how long a terminated program's thread may take to end before it is deemed stuck in a system call */
const STUCK_MS = 1000;

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
  const cells = new Int32Array(new SharedArrayBuffer(CONTROL_BYTES));
  const worker = new Worker(WORKER, { workerData: { job, control: cells.buffer } satisfies WasiWorkerData });
  return new Promise<WasiRecordingResult>((resolve, reject) => {
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
    /** The program did not stop by itself: end its thread ('exit' then finishes the file from the disk). */
    const kill = (): void => {
      if (Atomics.compareExchange(cells, CONTROL.STATE, RUNNING, KILLING) !== RUNNING) return; // its thread is finishing the file
      killing = true;
      if (Atomics.load(cells, CONTROL.BLOCKED) !== 1) {
        io.stderr(`wasm-ftrace: the program did not stop within ${STOP_GRACE_MS / 1000} s of ${signal}: stopped it; the trace holds what had reached the disk\n`);
      }
      void worker.terminate();
      // A thread blocked in a system call (a read of stdin) ends only when the call returns, and
      // Node waits for it even in process.exit(): finish the file, then let the signal end us.
      setTimeout(() => {
        if (settled) return;
        const result = finishFromDisk();
        settle(() => {
          io.stderr(interruptedLine(result, job.output));
          process.kill(process.pid, signal!);
        });
      }, STUCK_MS).unref();
    };
    const finishFromDisk = (): WasiRecordingResult => {
      const kept = tempPath !== undefined ? finishPartial(tempPath, job.output, signal!) : null;
      return { exitCode: 128 + os.constants.signals[signal!], interrupted: signal!, events: kept?.events ?? 0, lost: 0, problem: kept ? null : 'nothing readable had reached the disk' };
    };
    function onSignal(s: NodeJS.Signals): void {
      if (signal !== undefined) return kill(); // a second Ctrl-C: no more waiting
      signal = s;
      Atomics.store(cells, CONTROL.SIGNAL, os.constants.signals[s]);
      // waiting for stdin (or asleep): it cannot stop by itself, the trace so far is on the disk already
      if (Atomics.load(cells, CONTROL.BLOCKED) === 1) return kill();
      graceTimer = setTimeout(kill, STOP_GRACE_MS);
    }
    for (const s of SIGNALS) process.on(s, onSignal);
    worker.on('message', (m: WasiWorkerMessage) => {
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
        resolve(finishFromDisk());
      }),
    );
  });
}
