/**
 * The trace memory's host side in the small runtime (wasm-ftrace/runtime):
 * not there. Its build gives src/tracers this module for
 * ./trace-memory-host.js and ./replay.js: a module instrumented with a trace
 * memory is refused with a message saying how to instrument for a page, and
 * the tracers' batch replays are absent (their per-event path is what a page
 * runs).
 */
function absent(): never {
  throw new Error('wasm-ftrace/runtime: instrument without --trace-memory');
}

export { absent as traceMemoryHooks, absent as connectTraceMemory, absent as setUpWasmRing, absent as requireWasmRing, absent as replayRecords };
export const functionReplay = (): undefined => undefined;
export const graphReplay = (): undefined => undefined;
