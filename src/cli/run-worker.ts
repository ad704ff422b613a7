/**
 * The Worker that runs `run`'s program and renders its trace (run-job.ts),
 * so that the main thread (run.ts, program-thread.ts) hears signals while
 * the program computes. Its messages: record/thread-messages.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { quietExperimentalWarnings, threadError, workerStopControl, type ProgramThreadMessage } from '../record/thread-messages.js';
import type { RunJob, RunJobResult } from './run-job.js';

export interface RunWorkerData {
  job: RunJob;
  control: SharedArrayBuffer;
}

quietExperimentalWarnings();
const { runTraced } = await import('./run-job.js'); // loads node:wasi

const port = parentPort!;
const { job, control } = workerData as RunWorkerData;
const cells = new Int32Array(control);
const post = (m: ProgramThreadMessage<RunJobResult>): void => port.postMessage(m);

try {
  post({ kind: 'done', result: await runTraced(job, workerStopControl(cells, post)) });
} catch (e) {
  post({ kind: 'error', error: threadError(e) });
}
