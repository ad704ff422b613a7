/**
 * The worker clock: a time source read with one memory load. A Worker keeps
 * a shared Float64 cell current with the main thread's performance.now()
 * (microseconds, same time line); a tracer reads the cell instead of calling
 * performance.now() (~1-2 ns against ~40-100 ns on Node 20).
 *
 * The price is resolution: the Worker sleeps between updates
 * (Atomics.wait with a timeout of TICK_MS), so the cell moves in steps the
 * OS timer allows, typically 50-100 us on Linux; a Worker that never sleeps
 * would be finer but takes a whole core and, on a loaded machine, is
 * descheduled for whole time slices (measured: 17 ms steps). Each clock
 * measures its steps and its lag once at start (measureWorkerClock) and the
 * recording keeps those figures (`info` shows them).
 *
 * Browser-safe: the Worker is started by the runtime (node-clock.ts, or the
 * page, which needs cross-origin isolation for a SharedArrayBuffer). The same
 * cell layout lets wasm read the clock from trace memory later.
 */

/** Cell layout in the shared buffer: f64 time (us) at byte 0, i32 state at byte 8. */
export const CLOCK_CELL_BYTES = 16;
export const CLOCK_STATE_STARTING = 0;
export const CLOCK_STATE_RUNNING = 1;
export const CLOCK_STATE_STOP = 2;

/** How long the Worker sleeps between updates, in ms (the OS rounds it up: ~60 us on Linux). */
export const TICK_MS = 0.01;

/**
 * What the Worker runs: `run(data)` with data = { buffer, origin, tickMs }.
 * A page's Worker gets data as its first message (PAGE_WORKER_CLOCK_SOURCE);
 * Node's from workerData (node-clock.ts).
 */
// Kept short: it ships as text in the browser runtime. The main thread's time
// line is timeOrigin-relative; both origins are high resolution.
export const WORKER_CLOCK_RUN = `function run(d){const c=new Float64Array(d.buffer,0,1),s=new Int32Array(d.buffer,8,1),b=performance.timeOrigin-d.origin;\
c[0]=(b+performance.now())*1e3;Atomics.store(s,0,${CLOCK_STATE_RUNNING});Atomics.notify(s,0);\
while(Atomics.load(s,0)===${CLOCK_STATE_RUNNING}){c[0]=(b+performance.now())*1e3;Atomics.wait(s,0,${CLOCK_STATE_RUNNING},d.tickMs)}}`;

export const PAGE_WORKER_CLOCK_SOURCE = `${WORKER_CLOCK_RUN}\nonmessage = (e) => run(e.data);\n`;

/** What the data file and `info` keep about a worker clock. */
export interface ClockInfo {
  /** how the time was taken, one line */
  source: string;
  /** median step between two different values the main thread saw, in us */
  resolutionUs?: number;
  /** median of performance.now() minus the cell, in us: how far the cell lags */
  lagUs?: number;
  /** cost of one read, in ns (measured at start) */
  readNs?: number;
  /** why the clock asked for is not the one that recorded */
  note?: string;
}

/** A running worker clock: its cell, and how to stop its Worker. */
export interface WorkerClock {
  /** microseconds on the main thread's performance.now() time line, kept current by the Worker */
  readonly cell: Float64Array;
  readonly info: ClockInfo;
  /** stops the Worker; the cell keeps its last value */
  stop(): void;
}

/** The shared buffer a worker clock needs, and its views. */
export function clockCell(buffer: SharedArrayBuffer = new SharedArrayBuffer(CLOCK_CELL_BYTES)): { buffer: SharedArrayBuffer; cell: Float64Array; state: Int32Array } {
  return { buffer, cell: new Float64Array(buffer, 0, 1), state: new Int32Array(buffer, 8, 1) };
}

/**
 * Measures a running clock for about `ms` milliseconds: the median step the
 * main thread sees, the median lag behind performance.now(), and the cost of
 * one read. Spins the main thread for that long.
 */
export function measureWorkerClock(cell: Float64Array, ms = 20): Pick<ClockInfo, 'resolutionUs' | 'lagUs' | 'readNs'> {
  const steps: number[] = [];
  const lags: number[] = [];
  let last = cell[0]!;
  const end = performance.now() + ms;
  for (let now = performance.now(); now < end; now = performance.now()) {
    const v = cell[0]!;
    if (v !== last) {
      steps.push(v - last);
      last = v;
    }
    if (lags.length < 4096) lags.push(now * 1000 - v);
  }
  // the best of several batches: the first ones run before the loop is optimized
  let sum = 0;
  let readNs = Infinity;
  for (let batch = 0; batch < 20; batch++) {
    const t0 = performance.now();
    sum += readCell(cell, 100_000);
    readNs = Math.min(readNs, ((performance.now() - t0) * 1e6) / 100_000);
  }
  return {
    ...(steps.length > 0 ? { resolutionUs: round3(median(steps)) } : {}),
    lagUs: round3(median(lags)),
    // `sum` keeps the loop from being dropped
    readNs: round3(sum === -1 ? 0 : readNs),
  };
}

function readCell(cell: Float64Array, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += cell[0]!;
  return sum;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] ?? 0;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** One line for `info` and a page's console: what recorded the time and how fine it is. */
export function describeClockInfo(info: ClockInfo): string {
  const figures = [
    info.resolutionUs !== undefined ? `steps of ${info.resolutionUs} us` : '',
    info.lagUs !== undefined ? `lag ${info.lagUs} us` : '',
    info.readNs !== undefined ? `read ${info.readNs} ns` : '',
  ].filter((s) => s !== '');
  return `${info.source}${figures.length ? ` (${figures.join(', ')})` : ''}${info.note ? `; ${info.note}` : ''}`;
}
