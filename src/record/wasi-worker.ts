/**
 * The Worker that runs `record prog.wasm`'s program (wasi-recording.ts), so
 * that the main thread (cli/record-wasi.ts) hears signals while the program
 * computes. Its messages: thread-messages.ts (`started` once the temporary
 * data file exists).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { quietExperimentalWarnings, threadError, workerStopControl, type ProgramThreadMessage } from './thread-messages.js';
import type { WasiRecordingJob, WasiRecordingResult } from './wasi-recording.js';

export type WasiWorkerMessage = ProgramThreadMessage<WasiRecordingResult>;

export interface WasiWorkerData {
  job: WasiRecordingJob;
  control: SharedArrayBuffer;
}

quietExperimentalWarnings();
const { recordWasi } = await import('./wasi-recording.js'); // loads node:wasi

const port = parentPort!;
const { job, control } = workerData as WasiWorkerData;
const cells = new Int32Array(control);
const post = (m: WasiWorkerMessage): void => port.postMessage(m);

try {
  const result = await recordWasi(job, workerStopControl(cells, post), (tempPath) => post({ kind: 'started', tempPath }));
  post({ kind: 'done', result });
} catch (e) {
  post({ kind: 'error', error: threadError(e) });
}
