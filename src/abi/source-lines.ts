/**
 * Source locations per function: the file and line of each function's
 * first instruction, read from the module's DWARF line table (or a source
 * map) at instrument time, while the code offsets are still the ones the
 * compiler wrote. The pass keeps this table in the metadata section because
 * instrumentation moves every function's code: the module's own DWARF and
 * source map are stale after it (the pass drops them, see
 * instrument/debug-sections.ts).
 */
import { codeLayout } from './code-layout.js';
import { readLineRows, type DwarfSections, type LineRow } from './dwarf-lines.js';
import { mappingRows } from './source-map.js';
import { ByteReader, SectionId, WasmFormatError, findCustomSection, findSection, readImportSection, readSections, type Section } from './wasm-sections.js';

/** What FtraceMetadata.sourceLines and a data file's INST chunk hold. */
export interface SourceLines {
  /** where the lines came from */
  from: 'dwarf' | 'source map';
  /** file names, referred to by index */
  files: string[];
  /** [ip, file index, line] for each function with a known location, ascending ip */
  functions: [number, number, number][];
}

/**
 * The source lines of a module's functions from its `.debug_line` section;
 * when it has none, from `debugFile` (the bytes of the file its
 * `external_debug_info` names: split DWARF, e.g. Emscripten's
 * -gseparate-dwarf), else from `sourceMap` (the text of the file its
 * `sourceMappingURL` names). Undefined when none gives any function a line.
 * Throws WasmFormatError when the DWARF or the source map is malformed, or
 * the debug file is of another build (its code section differs).
 */
export function readSourceLines(bytes: Uint8Array, sections: readonly Section[], sourceMap?: string, debugFile?: Uint8Array): SourceLines | undefined {
  const code = findSection(sections, SectionId.code);
  if (!code) return undefined;
  const bodies = functionBodies(bytes, code);
  const importSection = findSection(sections, SectionId.import);
  const importCount = importSection ? readImportSection(bytes, importSection).filter((i) => i.kind === 'function').length : 0;

  const best = new Map<number, LineRow>(); // body index -> its lowest-addressed row with a line
  const take = (row: LineRow): void => {
    if (row.line <= 0) return;
    const i = bodyAt(bodies, row.address);
    if (i < 0) return;
    const old = best.get(i);
    if (old === undefined || row.address < old.address) best.set(i, row);
  };
  let from: SourceLines['from'];
  const dwarf = dwarfOf(bytes, sections) ?? (debugFile ? externalDwarf(bytes, debugFile) : undefined);
  if (dwarf) {
    readLineRows(dwarf, take);
    from = 'dwarf';
  } else if (sourceMap !== undefined) {
    // source map columns are offsets in the whole file; DWARF's (and ours) are in the code section
    for (const row of mappingRows(sourceMap)) take({ ...row, address: row.address - code.payload });
    from = 'source map';
  } else {
    return undefined;
  }
  if (best.size === 0) return undefined;

  const files: string[] = [];
  const fileIndex = new Map<string, number>();
  const functions: [number, number, number][] = [];
  for (const i of [...best.keys()].sort((a, b) => a - b)) {
    const row = best.get(i)!;
    let f = fileIndex.get(row.file);
    if (f === undefined) {
      f = files.push(row.file) - 1;
      fileIndex.set(row.file, f);
    }
    functions.push([importCount + i, f, row.line]);
  }
  return { from, files, functions };
}

/** A module's DWARF sections, when it has a line table. */
function dwarfOf(bytes: Uint8Array, sections: readonly Section[]): DwarfSections | undefined {
  const line = findCustomSection(sections, '.debug_line');
  if (!line) return undefined;
  const range = (name: string): { start: number; end: number } | undefined => {
    const s = findCustomSection(sections, name);
    return s && { start: s.payload, end: s.end };
  };
  return { bytes, line: { start: line.payload, end: line.end }, str: range('.debug_str'), lineStr: range('.debug_line_str') };
}

/** The DWARF of a split debug file, checked to be of this build where it has the code too. */
function externalDwarf(bytes: Uint8Array, debugFile: Uint8Array): DwarfSections | undefined {
  const sections = readSections(debugFile);
  if (findSection(sections, SectionId.code) && codeLayout(debugFile) !== codeLayout(bytes)) {
    throw new WasmFormatError('malformed', 'the external debug file is of another build (its code section differs from the module\'s)');
  }
  return dwarfOf(debugFile, sections);
}

/** Start (after the size field) and end of each function body, relative to the code section's payload, as DWARF addresses are. */
function functionBodies(bytes: Uint8Array, code: Section): { start: number; end: number }[] {
  const r = new ByteReader(bytes, code.payload, code.end, 'code section');
  const out: { start: number; end: number }[] = [];
  for (let n = r.u32(); n > 0; n--) {
    const size = r.u32();
    out.push({ start: r.pos - code.payload, end: r.pos - code.payload + size });
    r.skip(size);
  }
  return out;
}

/** Index of the body holding `address`, or -1 (addresses of code the linker dropped point nowhere, or at 0 or ~0). */
function bodyAt(bodies: readonly { start: number; end: number }[], address: number): number {
  let lo = 0;
  let hi = bodies.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const b = bodies[mid]!;
    if (address < b.start) hi = mid - 1;
    else if (address >= b.end) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/** Whether a value from outside (a data file, a metadata section) is a well-formed table. */
export function isSourceLines(value: unknown): value is SourceLines {
  const v = value as Partial<SourceLines> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    Array.isArray(v.files) &&
    v.files.every((f) => typeof f === 'string') &&
    Array.isArray(v.functions) &&
    v.functions.every((e) => Array.isArray(e) && e.length === 3 && e.every((n) => Number.isInteger(n) && n >= 0) && e[1]! < v.files!.length)
  );
}

/** ip -> "file:line" for a table, for readers that look up many ips. */
export function sourceLineMap(table: SourceLines | undefined): Map<number, string> {
  const out = new Map<number, string>();
  if (!table) return out;
  for (const [ip, f, line] of table.functions) out.set(ip, `${table.files[f]}:${line}`);
  return out;
}
