/**
 * The built-in tracers' batch replays (FtraceOps.replay): what their
 * callbacks do for each record the in-wasm recorder wrote, in one loop over
 * the trace memory instead of a call per event. The small browser runtime
 * leaves them out (src/runtime/no-trace-memory.ts): it traces no module
 * with a trace memory.
 */
import { RECORD_ENTRY, RECORD_KIND_MASK, recordTsIndex, recordWord } from '../abi/trace-memory.js';
import type { RecordBatch } from '../ftrace/ops.js';
import { EVENT_ENTRY } from '../ring/event.js';
import type { RingBuffer } from '../ring/ring-buffer.js';

/** The function tracer's: each entry straight into the ring (an ops without retfunc gets no exits recorded). */
export function functionReplay(on: () => boolean, ring: RingBuffer, id: number, now: () => number): (batch: RecordBatch) => void {
  return ({ i32, f64, start, end, timed }) => {
    if (!on()) return;
    for (let k = start; k < end; k++) {
      const w = recordWord(k);
      ring.write(EVENT_ENTRY, id, i32[w + 1]! >>> 0, i32[w + 2]! >>> 0, 0, timed ? f64[recordTsIndex(k)]! : now(), 0);
    }
  };
}

/** The graph tracers': their entry and exit steps, with the time each record carries. */
export function graphReplay(
  entry: (ip: number, parentIp: number, ts: number) => void,
  exit: (ip: number, ts: number) => void,
  now: () => number,
): (batch: RecordBatch) => void {
  return ({ i32, f64, start, end, timed }) => {
    for (let k = start; k < end; k++) {
      const w = recordWord(k);
      const ts = timed ? f64[recordTsIndex(k)]! : now();
      if ((i32[w]! & RECORD_KIND_MASK) === RECORD_ENTRY) entry(i32[w + 1]! >>> 0, i32[w + 2]! >>> 0, ts);
      else exit(i32[w + 1]! >>> 0, ts);
    }
  };
}
