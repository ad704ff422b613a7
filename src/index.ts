/**
 * wasm-ftrace: the Linux kernel's function tracer for WebAssembly.
 * The library entry point for Node.js.
 */
export { instrument, InstrumentError } from './instrument/pass.js';
export type { InstrumentOptions, InstrumentResult, InstrumentStats, InstrumentErrorKind, InstrumentErrorFields } from './instrument/pass.js';
export * from './ftrace/index.js';
export { ABI, HOST_IP, functionName, isAbiExport, METADATA_SECTION, METADATA_VERSION, encodeMetadata, decodeMetadata, readModuleMetadata, isStaticData, compileGlob, matchesAny, FilterSpec, resolveFilter, engineHasMultiMemory } from './abi/index.js';
export type { FunctionNames, FtraceMetadata, StaticDataBounds, Glob, GlobKind, FilterExpr, FilterCommand } from './abi/index.js';
export * from './tracers/index.js';
export * from './ring/index.js';
export * from './output/index.js';
