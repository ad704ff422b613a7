/**
 * The trace ring buffer and the event model. No Node APIs: it runs in browsers too.
 */
export * from './event.js';
export {
  RingBuffer,
  truncateMarkerText,
  RING_DEFAULT_SIZE_KB,
  RING_BYTES_PER_RECORD,
  TRACE_MARKER_MAX,
  TRACE_MARKER_TRUNCATED,
  MARKER_OVERHEAD_BYTES,
} from './ring-buffer.js';
export type { RingBufferOptions, RingMode } from './ring-buffer.js';
export { WasmRing, WASM_RING_DEFAULT_RECORDS } from './wasm-ring.js';
export type { RecordSink, WasmRingClock } from './wasm-ring.js';
