/**
 * The ABI between the instrument pass and the host: what both sides read or
 * write, and nothing else. The pass (src/instrument), the core (src/ftrace),
 * the outputs and the viewer import it; it imports nothing of theirs.
 */
export { ABI, HOST_IP, functionName, isAbiExport } from './names.js';
export type { FunctionNames } from './names.js';
export { METADATA_SECTION, METADATA_VERSION, encodeMetadata, decodeMetadata, readModuleMetadata, isStaticData } from './metadata.js';
export type { FtraceMetadata, StaticDataBounds } from './metadata.js';
export { compileGlob, matchesAny } from './glob.js';
export { FilterError, FilterSpec, resolveFilter, selectFunctions } from './filter-spec.js';
export type { FilterCommand, FilterExpr, FilterUniverse } from './filter-spec.js';
export { codeLayout } from './code-layout.js';
export { readSourceLines, isSourceLines, sourceLineMap } from './source-lines.js';
export type { SourceLines } from './source-lines.js';
export type { Glob, GlobKind } from './glob.js';
export {
  SectionId,
  EXTERNAL_KINDS,
  WasmFormatError,
  ByteReader,
  readSections,
  findSection,
  findCustomSection,
  readImportSection,
  readExportSection,
} from './wasm-sections.js';
export type { Section, ImportEntry, ExportEntry, ExternalKind, WasmFormatErrorKind } from './wasm-sections.js';
export { TRACE_MEMORY, engineHasMultiMemory, traceMemoryPages } from './trace-memory.js';
