/**
 * wasm-ftrace: the Linux kernel's function tracer for WebAssembly.
 * The library entry point for Node.js.
 */
export { instrument, InstrumentError } from './instrument/pass.js';
export type { InstrumentOptions, InstrumentResult, InstrumentStats } from './instrument/pass.js';
export * from './ftrace/index.js';
export * from './tracers/index.js';
export * from './ring/index.js';
export * from './output/index.js';
