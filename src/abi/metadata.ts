/**
 * The `wasm-ftrace` custom section: what the host needs at run time, written
 * by the instrument pass so the host never needs the original file.
 *
 * Payload: UTF-8 JSON of FtraceMetadata. Version history:
 *   1  first format: counts, static data bounds, names, traced set, guard words;
 *      later optional members (readers ignore those they do not know):
 *      exitHooks, opaqueCallers, sourceLines.
 */
import type { SourceLines } from './source-lines.js';

export const METADATA_SECTION = 'wasm-ftrace';
export const METADATA_VERSION = 1;

export interface StaticDataBounds {
  /** lowest start of an active data segment in memory 0 */
  start: number;
  /** highest end of an active data segment in memory 0, or __data_end when that is higher */
  end: number;
}

export interface FtraceMetadata {
  version: number;
  /** functions in the input module's index space, imports included */
  functionCount: number;
  /** imported functions: ips below this are imports and never traced */
  importCount: number;
  /** static data in memory 0, or null when the module has no active data with a constant offset */
  data: StaticDataBounds | null;
  /** a display name per ip: the name section's, else export name, else import module.field, else func[N] */
  names: string[];
  /** the module's own name (name section subsection 0), for :mod: filters */
  moduleName: string | null;
  /** ips that received an mcount call, ascending */
  traced: number[];
  /** how many guard words the module has (bit ip%32 of word ip>>5), written through `__ftrace_control` */
  guardWords: number;
  /** the module also calls `ftrace.mcount_exit(ip)` on every way out of a traced function */
  exitHooks?: boolean;
  /** the module imports `ftrace.memory` and records in wasm in the direct case (src/abi/trace-memory.ts) */
  traceMemory?: boolean;
  /**
   * ips of functions with calls the pass could not give a caller token
   * (inside try_table and other expressions binaryen.js cannot walk): entries
   * they cause report parent HOST. Absent when there are none.
   */
  opaqueCallers?: number[];
  /**
   * each function's file:line, from the input's DWARF line table or source
   * map, read before instrumentation moved the code (the output drops the
   * stale DWARF). Absent when the input had neither.
   */
  sourceLines?: SourceLines;
}

export function encodeMetadata(meta: FtraceMetadata): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(meta));
}

export function decodeMetadata(payload: ArrayBuffer | Uint8Array): FtraceMetadata {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    throw new Error(`corrupt ${METADATA_SECTION} section: not JSON`);
  }
  const m = parsed as Partial<FtraceMetadata>;
  if (typeof m !== 'object' || m === null || typeof m.version !== 'number') {
    throw new Error(`corrupt ${METADATA_SECTION} section: no version`);
  }
  if (m.version !== METADATA_VERSION) {
    throw new Error(`${METADATA_SECTION} section version ${m.version} is not supported (this build reads version ${METADATA_VERSION})`);
  }
  if (typeof m.functionCount !== 'number' || !Array.isArray(m.names) || !Array.isArray(m.traced)) {
    throw new Error(`corrupt ${METADATA_SECTION} section: missing fields`);
  }
  return m as FtraceMetadata;
}

/** Reads the metadata of an instrumented WebAssembly.Module, or null when it was not instrumented. */
export function readModuleMetadata(module: WebAssembly.Module): FtraceMetadata | null {
  const sections = WebAssembly.Module.customSections(module, METADATA_SECTION);
  const first = sections[0];
  return first ? decodeMetadata(first) : null;
}

/** core_kernel_data(): is `addr` inside the module's static data? */
export function isStaticData(meta: FtraceMetadata, addr: number): boolean {
  return meta.data !== null && addr >= meta.data.start && addr < meta.data.end;
}
