/**
 * wasm-ftrace: the Linux kernel's function tracer for WebAssembly.
 * The library entry point for Node.js.
 */
export { instrument, InstrumentError } from './instrument/pass.js';
export type { InstrumentOptions, InstrumentResult, InstrumentStats } from './instrument/pass.js';
export { compileGlob, matchesAny } from './ftrace/glob.js';
export type { Glob, GlobKind } from './ftrace/glob.js';
export {
  ABI,
  HOST_IP,
  METADATA_SECTION,
  METADATA_VERSION,
  decodeMetadata,
  readModuleMetadata,
  isStaticData,
} from './ftrace/metadata.js';
export type { FtraceMetadata, StaticDataBounds } from './ftrace/metadata.js';
