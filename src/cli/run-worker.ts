/**
 * The Worker that runs `run`'s program and renders its trace (run-job.ts),
 * so that the main thread (run.ts, program-thread.ts) hears signals while
 * the program computes. Its messages: record/thread-messages.ts.
 */
import { serveProgramThread } from '../record/thread-messages.js';
import type { RunJob, RunJobResult } from './run-job.js';

await serveProgramThread<RunJob, RunJobResult>(async (job, control) => {
  const { runTraced } = await import('./run-job.js'); // loads node:wasi
  return runTraced(job, control);
});
