/**
 * The Worker that runs `record prog.wasm`'s program (wasi-recording.ts), so
 * that the main thread (cli/record-wasi.ts) hears signals while the program
 * computes. Its messages: thread-messages.ts (`started` once the temporary
 * data file exists).
 */
import { serveProgramThread } from './thread-messages.js';
import type { WasiRecordingJob, WasiRecordingResult } from './wasi-recording.js';

await serveProgramThread<WasiRecordingJob, WasiRecordingResult>(async (job, control, post) => {
  const { recordWasi } = await import('./wasi-recording.js'); // loads node:wasi
  return recordWasi(job, control, (tempPath) => post({ kind: 'started', tempPath }));
});
