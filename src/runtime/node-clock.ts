/**
 * Starts the worker clock in Node: a worker_threads Worker, unref'd so it
 * never keeps the process alive. The main thread blocks (Atomics.wait,
 * allowed in Node) until the Worker has written the cell once, so the first
 * event already has a real time.
 */
import { Worker } from 'node:worker_threads';
import type { TraceClock } from '../ring/event.js';
import {
  CLOCK_STATE_RUNNING,
  CLOCK_STATE_STARTING,
  CLOCK_STATE_STOP,
  TICK_MS,
  WORKER_CLOCK_RUN,
  clockCell,
  measureWorkerClock,
  type WorkerClock,
} from '../clock/worker-clock.js';
import { WasmRing } from '../ring/wasm-ring.js';

/** The worker clock, running and measured; throws when the Worker does not start within `timeoutMs`. */
export function startWorkerClock(options: { timeoutMs?: number; measureMs?: number; buffer?: SharedArrayBuffer } = {}): WorkerClock {
  // A trace memory's buffer (WasmRing.buffer) keeps its clock cell where the worker clock keeps it: the in-wasm recorder then reads it too.
  const { buffer, cell, state } = clockCell(options.buffer);
  const worker = new Worker(`${WORKER_CLOCK_RUN}\nrun(require('node:worker_threads').workerData);\n`, { eval: true, execArgv: [], workerData: { buffer, origin: performance.timeOrigin, tickMs: TICK_MS } });
  worker.unref();
  // a Worker that fails to start reports through 'error'; do not let it become an uncaught exception
  worker.on('error', () => {});
  if (Atomics.wait(state, 0, CLOCK_STATE_STARTING, options.timeoutMs ?? 5000) === 'timed-out' && Atomics.load(state, 0) !== CLOCK_STATE_RUNNING) {
    void worker.terminate();
    throw new Error('the worker clock did not start');
  }
  const measured = measureWorkerClock(cell, options.measureMs ?? 20);
  return {
    cell,
    info: { source: `a Worker updates a shared cell every ~${TICK_MS * 1000} us (asked)`, ...measured },
    stop() {
      Atomics.store(state, 0, CLOCK_STATE_STOP);
      Atomics.notify(state, 0);
    },
  };
}

/**
 * What a TraceArray needs for the clock the user asked for: 'worker' starts
 * one, or falls back to 'perf' and says why. With `traceMemory`, also the
 * trace memory modules instrumented with one import, and the worker clock
 * runs on its buffer, so the in-wasm recorder reads the time with one load.
 */
export function nodeClockOptions(
  clock: TraceClock | undefined,
  traceMemory = false,
): { clock?: TraceClock; workerClock?: WorkerClock; clockNote?: string; wasmRing?: WasmRing } {
  const ring = traceMemory ? { wasmRing: new WasmRing() } : {};
  if (clock !== 'worker') return { ...(clock !== undefined ? { clock } : {}), ...ring };
  try {
    return { clock, workerClock: startWorkerClock(ring.wasmRing ? { buffer: ring.wasmRing.buffer } : {}), ...ring };
  } catch (e) {
    return { clock: 'perf', clockNote: `clock 'worker' asked for, 'perf' used: ${(e as Error).message}`, ...ring };
  }
}
