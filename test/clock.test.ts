/**
 * The worker clock: a cell a Worker keeps on the main thread's
 * performance.now() time line, read by the trace array with one load; the
 * page falls back to 'perf' without cross-origin isolation, and says so.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { describeClockInfo, type WorkerClock } from '../src/clock/worker-clock.js';
import { startWorkerClock } from '../src/runtime/node-clock.js';
import { pageClockOptions } from '../src/runtime/page-clock.js';
import { TraceArray } from '../src/tracers/trace-array.js';

/** Spins until the cell moves past `after` (the Worker may be descheduled on a loaded machine: up to 5 s). */
function waitForChange(cell: Float64Array, after: number): number {
  const end = performance.now() + 5000;
  while (cell[0]! === after && performance.now() < end) {
    // spin
  }
  return cell[0]!;
}

describe('worker clock', () => {
  let clock: WorkerClock;
  afterAll(() => clock?.stop());

  it('moves forward on the time line of performance.now(), in microseconds', () => {
    clock = startWorkerClock({ measureMs: 5 });
    const before = performance.now() * 1000;
    const first = clock.cell[0]!;
    const next = waitForChange(clock.cell, first);
    expect(next).toBeGreaterThan(first);
    // the cell is never ahead of the main thread's own clock
    expect(next).toBeLessThanOrEqual(performance.now() * 1000);
    // and it is on the same time line: not seconds away from it
    expect(Math.abs(first - before)).toBeLessThan(1_000_000);
    expect(clock.info.readNs).toBeGreaterThan(0);
    expect(describeClockInfo(clock.info)).toMatch(/^a Worker updates a shared cell .*read [\d.]+ ns/);
  });

  it("is what a trace array with clock 'worker' stamps its events with", () => {
    const tr = new TraceArray({ clock: 'worker', workerClock: clock });
    const before = clock.cell[0]!;
    const t = tr.now();
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(clock.cell[0]!);
    expect(tr.clockInfo).toEqual(clock.info);
    expect(() => new TraceArray({ clock: 'worker' })).toThrow(/clock 'worker' needs a workerClock/);
  });

  it('stops its Worker: the cell stays still', () => {
    clock.stop();
    // the Worker sees the stop at its next tick
    const end = performance.now() + 50;
    while (performance.now() < end) {
      // spin past a few ticks
    }
    const v = clock.cell[0];
    const end2 = performance.now() + 20;
    while (performance.now() < end2) {
      // spin
    }
    expect(clock.cell[0]).toBe(v);
  });
});

describe('worker clock in a page', () => {
  it('falls back to perf without cross-origin isolation, with a note saying why', () => {
    const o = pageClockOptions('worker');
    expect(o.clock).toBe('perf');
    expect(o.clockNote).toMatch(/needs cross-origin isolation/);
    const tr = new TraceArray(o);
    expect(tr.clock).toBe('perf');
    expect(tr.clockInfo).toEqual({ source: 'performance.now()', note: o.clockNote });
    expect(pageClockOptions('counter')).toEqual({ clock: 'counter' });
  });
});
