/**
 * The host's side of the trace memory (src/abi/trace-memory.ts): the shared
 * WebAssembly.Memory every instance of a trace array imports as
 * `ftrace.memory`, and the drain that hands its records, oldest first, to
 * whoever replays them (TraceArray: into each instance's Ftrace, so tracers
 * see exactly the calls the JS hook would have given them).
 *
 * When it drains: the module calls `ftrace.drain` when the ring is full, and
 * the host calls flush() whenever it takes control (a hook call into JS, an
 * import, a marker, any change of tracing state, a read). JavaScript runs one
 * thread, and wasm writes only while no JS runs, so at each of those points
 * the ring holds exactly the events that happened since the last one, in
 * order: nothing is reordered against what JS does.
 */
import type { RecordBatch } from '../ftrace/ops.js';
import {
  recordTsIndex,
  recordWord,
  CLOCK_KIND_CALL,
  CLOCK_KIND_CELL,
  CLOCK_KIND_COUNTER,
  RECORD_INSTANCE_SHIFT,
  TM_CAPACITY,
  TM_CLOCK_CELL,
  TM_CLOCK_KIND,
  TM_HEAD,
  TRACE_MEMORY,
  traceMemoryPages,
} from '../abi/trace-memory.js';

/**
 * Records a wasm ring holds by default (192 KiB). Small on purpose: records
 * reach the tracer's ring, and from there the data file, only when it
 * drains, and a program killed while busy in wasm keeps only what reached
 * the file; a drain every 8192 records costs nothing measurable.
 */
export const WASM_RING_DEFAULT_RECORDS = 8192;

/** (instance, batch): consecutive records of one instance, as the drain hands them out */
export type RecordSink = (instance: number, batch: RecordBatch) => void;

export type WasmRingClock = 'counter' | 'cell' | 'call';

export class WasmRing {
  readonly memory: WebAssembly.Memory;
  readonly capacity: number;
  /** records drained so far (every record the modules wrote and the host replayed) */
  drained = 0;
  /** records a throwing sink cost (the rest of its batch) */
  lost = 0;
  /** true while flush() delivers records; replayTs is then the current record's timestamp */
  replaying = false;
  replayTs = 0;
  /** set by the owner: where records go */
  sink: RecordSink = () => {};
  /** what `ftrace.clock` returns (clock kind 'call') */
  clock: () => number = () => performance.now() * 1000;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly batch: { i32: Int32Array; f64: Float64Array; start: number; end: number; timed: boolean; select(k: number): void };

  /**
   * Throws where shared WebAssembly memory cannot be made (a page without
   * cross-origin isolation).
   */
  constructor(records = WASM_RING_DEFAULT_RECORDS, existing?: WebAssembly.Memory) {
    if (!(records >= 1)) throw new RangeError(`a wasm ring needs at least one record (asked: ${records})`);
    const pages = traceMemoryPages(records);
    this.memory = existing ?? new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    this.capacity = records;
    const buffer = this.memory.buffer;
    this.i32 = new Int32Array(buffer);
    this.f64 = new Float64Array(buffer);
    if (!existing) {
      this.i32[TM_CAPACITY >> 2] = records;
      this.i32[TM_HEAD >> 2] = 0;
    }
    const f64 = this.f64;
    this.batch = {
      i32: this.i32,
      f64,
      start: 0,
      end: 0,
      timed: false,
      select: (k) => {
        this.replayTs = f64[recordTsIndex(k)]!;
      },
    };
  }

  /**
   * The ring of a trace memory made elsewhere (another thread made it and
   * runs the worker clock on it): its size is what its header says.
   */
  static over(memory: WebAssembly.Memory): WasmRing {
    const capacity = new Int32Array(memory.buffer, TM_CAPACITY, 1)[0]!;
    if (!(capacity >= 1) || traceMemoryPages(capacity) * 65536 > memory.buffer.byteLength) throw new RangeError('not a trace memory: its header names no ring that fits');
    return new WasmRing(capacity, memory);
  }

  /** The memory's buffer: a SharedArrayBuffer whose first 16 bytes are a worker clock's cell. */
  get buffer(): SharedArrayBuffer {
    return this.memory.buffer as unknown as SharedArrayBuffer;
  }

  /** Where the recorder takes its timestamps: nowhere (counter), the clock cell (worker clock), or `ftrace.clock` (perf). */
  setClock(kind: WasmRingClock): void {
    this.i32[TM_CLOCK_KIND >> 2] = kind === 'cell' ? CLOCK_KIND_CELL : kind === 'call' ? CLOCK_KIND_CALL : CLOCK_KIND_COUNTER;
  }

  /** The clock cell as a view (the worker clock writes it; the JS path reads the same cell). */
  get clockCell(): Float64Array {
    return new Float64Array(this.buffer, TM_CLOCK_CELL, 1);
  }

  /** Records waiting to be drained. */
  get pending(): number {
    return this.i32[TM_HEAD >> 2]!;
  }

  /** The `ftrace` imports a module with a trace memory needs besides the hooks. */
  get imports(): { memory: WebAssembly.Memory; drain: () => void; clock: () => number } {
    return { [TRACE_MEMORY.memory]: this.memory, [TRACE_MEMORY.drain]: this.flush, [TRACE_MEMORY.clock]: () => this.clock() } as {
      memory: WebAssembly.Memory;
      drain: () => void;
      clock: () => number;
    };
  }

  /**
   * Hands every pending record to the sink, oldest first, in runs of one
   * instance, and empties the ring. A flush from inside the sink (a tracer
   * that reads the trace) finds nothing new: the records it would deliver
   * are being delivered.
   */
  readonly flush = (): void => {
    const i32 = this.i32;
    const n = i32[TM_HEAD >> 2]!;
    if (n === 0 || this.replaying) return;
    this.replaying = true;
    const sink = this.sink;
    const batch = this.batch;
    const timed = i32[TM_CLOCK_KIND >> 2] !== CLOCK_KIND_COUNTER;
    let done = 0;
    try {
      while (done < n) {
        const instance = i32[recordWord(done)]! >>> RECORD_INSTANCE_SHIFT;
        let end = done + 1;
        while (end < n && i32[recordWord(end)]! >>> RECORD_INSTANCE_SHIFT === instance) end++;
        batch.start = done;
        batch.end = end;
        batch.timed = timed;
        sink(instance, batch);
        done = end;
      }
    } finally {
      // A sink that threw loses the rest of this flush, never the ring.
      this.drained += done;
      if (done < n) this.lost += n - done;
      i32[TM_HEAD >> 2] = 0;
      this.replaying = false;
    }
  };
}
