/**
 * The Worker that runs `record prog.wasm`'s program (wasi-recording.ts), so
 * that the main thread (cli/record-wasi.ts) hears signals while the program
 * computes. Messages to the main thread, in order: `started` (the temporary
 * data file exists), then one of `done`, `interrupted` (the file is finished
 * with the trace so far; this thread waits to be terminated) or `error`.
 */
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { WasiRecordingJob, WasiRecordingResult } from './wasi-recording.js';

export type WasiWorkerMessage =
  | { kind: 'started'; tempPath: string }
  | { kind: 'done'; result: WasiRecordingResult }
  | { kind: 'interrupted'; result: WasiRecordingResult }
  | { kind: 'error'; error: { name: string; message: string; stack?: string; user: boolean } };

export interface WasiWorkerData {
  job: WasiRecordingJob;
  control: SharedArrayBuffer;
}

/** Errors that are the user's (one line, exit 1), told by name as cli/main.ts does; the rest are ours. */
const USER_ERRORS = new Set(['RecordingError', 'ProgramError', 'FilterError', 'FtraceError', 'DataFileError']);

// node:wasi warns that it is experimental, in this thread too: noise for users of a tracer (bin/wasm-ftrace.js says the same)
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'ExperimentalWarning') process.stderr.write(`${w.name}: ${w.message}\n`);
});
const { recordWasi } = await import('./wasi-recording.js'); // loads node:wasi

const port = parentPort!;
const { job, control } = workerData as WasiWorkerData;
const cells = new Int32Array(control);
const post = (m: WasiWorkerMessage): void => port.postMessage(m);
const signalNames = new Map(Object.entries(os.constants.signals).map(([name, n]) => [n, name]));

try {
  const result = await recordWasi(
    job,
    {
      cells,
      signalName: (signo) => signalNames.get(signo) ?? `signal ${signo}`,
      stopped: (r) => {
        post({ kind: 'interrupted', result: r });
        // the main thread terminates this thread now; until then it stays out of the program
        for (;;) Atomics.wait(cells, 1, Atomics.load(cells, 1));
      },
    },
    (tempPath) => post({ kind: 'started', tempPath }),
  );
  post({ kind: 'done', result });
} catch (e) {
  const err = e instanceof Error ? e : new Error(String(e));
  post({ kind: 'error', error: { name: err.name, message: err.message, ...(err.stack !== undefined ? { stack: err.stack } : {}), user: USER_ERRORS.has(err.name) } });
}
