/**
 * The worker clock in a page: a Worker from a Blob URL writes the shared
 * cell. A SharedArrayBuffer needs cross-origin isolation (COOP + COEP
 * headers); without it the page records with 'perf' and says so. The page
 * cannot block until the Worker runs, so the cell starts at the time of the
 * request and moves once the Worker is up (a few ms later).
 */
import { CLOCK_STATE_STOP, TICK_MS, PAGE_WORKER_CLOCK_SOURCE, clockCell, type WorkerClock } from '../clock/worker-clock.js';
import type { TraceClock } from '../ring/event.js';

/** What a TraceArray needs for the clock asked for, in a page. */
export function pageClockOptions(clock: TraceClock | undefined): { clock?: TraceClock; workerClock?: WorkerClock; clockNote?: string } {
  if (clock !== 'worker') return clock !== undefined ? { clock } : {};
  const g = globalThis as { crossOriginIsolated?: boolean; Worker?: typeof Worker };
  if (g.crossOriginIsolated !== true || typeof g.Worker !== 'function' || typeof SharedArrayBuffer !== 'function') {
    return { clock: 'perf', clockNote: "clock 'worker' needs cross-origin isolation; using perf" };
  }
  const { buffer, cell, state } = clockCell();
  cell[0] = performance.now() * 1000;
  const url = URL.createObjectURL(new Blob([PAGE_WORKER_CLOCK_SOURCE], { type: 'text/javascript' }));
  const worker = new g.Worker(url);
  worker.postMessage({ buffer, origin: performance.timeOrigin, tickMs: TICK_MS });
  URL.revokeObjectURL(url);
  return {
    clock,
    workerClock: {
      cell,
      info: { source: `a Worker updates a shared cell every ~${TICK_MS * 1000} us (asked)` },
      stop() {
        Atomics.store(state, 0, CLOCK_STATE_STOP);
        worker.terminate();
      },
    },
  };
}
