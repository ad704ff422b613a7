/**
 * What a trace array does for modules instrumented with a trace memory
 * (src/abi/trace-memory.ts): hands them the memory and wraps their hooks so a
 * hook that reaches JS comes after every record written so far, connects
 * each instance's recorder to its core, and sends the drained records to
 * the cores. Kept apart from trace-array.ts so that the small browser runtime,
 * which traces pre-instrumented modules without one, can leave it out
 * (scripts/build-browser.mjs gives it src/runtime/no-trace-memory.ts).
 */
import { ABI } from '../abi/names.js';
import { CONTROL_SET_DIRECT, CONTROL_SET_INSTANCE, RECORD_ENTRY, RECORD_KIND_MASK, recordWord } from '../abi/trace-memory.js';
import type { FtraceOps, RecordBatch } from '../ftrace/ops.js';
import type { WorkerClock } from '../clock/worker-clock.js';
import type { Ftrace } from '../ftrace/ftrace.js';
import type { TraceClock } from '../ring/event.js';
import type { WasmRing } from '../ring/wasm-ring.js';
import type { TracedInstance } from './instance.js';

/** The `ftrace` hooks of a module with a trace memory: the memory, drain and clock, and mcount/mcount_exit flushing first. */
export function traceMemoryHooks(ring: WasmRing, ft: Ftrace): Record<string, unknown> {
  const flush = ring.flush;
  return {
    ...ft.imports,
    ...ring.imports,
    mcount: (ip: number, parent: number) => {
      flush();
      ft.mcount(ip, parent);
    },
    mcount_exit: (ip: number) => {
      flush();
      ft.mcountExit(ip);
    },
  };
}

/** After instantiation: the instance id the recorder writes, and the core's switch to it. */
export function connectTraceMemory(ring: WasmRing, inst: TracedInstance, instance: WebAssembly.Instance): void {
  const control = instance.exports[ABI.control];
  if (typeof control !== 'function') return;
  const set = control as (index: number, value: number) => void;
  set(CONTROL_SET_INSTANCE, inst.id);
  const recorder = {
    flush: ring.flush,
    on: false,
    update(direct: FtraceOps | null, exitList: boolean): void {
      const on = direct !== null && direct.recordable === true && !exitList;
      if (on !== recorder.on) {
        recorder.on = on;
        set(CONTROL_SET_DIRECT, on ? 1 : 0);
      }
    },
  };
  inst.ft.connectRecorder(recorder);
}

/**
 * Delivers records the in-wasm recorder wrote for one instance, in order:
 * in one call to the direct ops's replay when it has one, else record by
 * record through the hooks, each with its own time as "now".
 */
export function replayRecords(ft: Ftrace, batch: RecordBatch): void {
  const op = ft.direct;
  if (op !== null && op.replay !== undefined && op.busy === 0) {
    op.busy = 1;
    try {
      op.replay(batch);
    } finally {
      op.busy = 0;
    }
    return;
  }
  const { i32, start, end } = batch;
  for (let k = start; k < end; k++) {
    batch.select(k);
    const w = recordWord(k);
    if ((i32[w]! & RECORD_KIND_MASK) === RECORD_ENTRY) ft.mcount(i32[w + 1]! >>> 0, i32[w + 2]! >>> 0);
    else ft.mcountExit(i32[w + 1]! >>> 0);
  }
}

/** The trace memory a module instrumented with one needs: given to the trace array, never made by it. */
export function requireWasmRing(ring: WasmRing | null): WasmRing {
  if (ring === null) throw new Error('the module was instrumented with a trace memory (traceMemory): give the trace array one (new TraceArray({ wasmRing: new WasmRing() }))');
  return ring;
}

/**
 * Records go to the instances' cores; the recorder takes the array's clock.
 * Returns the array's clock: while records are replayed, "now" is when
 * they were written; the counter clock numbers them as they are replayed,
 * the numbers the hook would have given them, as the order is the same.
 */
export function setUpWasmRing(ring: WasmRing, list: readonly TracedInstance[], clock: TraceClock, now: () => number, workerClock: WorkerClock | undefined): () => number {
  ring.sink = (instance, batch) => {
    const inst = list[instance];
    if (inst) replayRecords(inst.ft, batch);
  };
  ring.clock = now;
  // The worker clock running on this very buffer is read with a load; any other time is a call.
  const sameCell = workerClock !== undefined && workerClock.cell.buffer === ring.buffer && workerClock.cell.byteOffset === 0;
  ring.setClock(clock === 'counter' ? 'counter' : sameCell ? 'cell' : 'call');
  return clock === 'counter' ? now : () => (ring.replaying ? ring.replayTs : now());
}
