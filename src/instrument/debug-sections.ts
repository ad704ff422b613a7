/**
 * What the pass does with the input's debug information.
 *
 * Instrumentation moves every function's code (a prologue at its start, a
 * token store before calls), and binaryen.js copies `.debug_*` sections and
 * `sourceMappingURL` through unchanged: their code offsets would then point
 * into the wrong functions (a debugger or symbolizer names the wrong line,
 * with confidence). A stale line table is worse than none, so the output
 * drops them, and the pass first keeps what the readers need from them, each
 * function's file:line, as a side table in the metadata section
 * (abi/source-lines.ts), where it is keyed by ip and cannot go stale.
 */
import { WasmFormatError, readSections, type Section } from '../abi/index.js';
import { readSourceLines, type SourceLines } from '../abi/source-lines.js';

/** Sections whose code offsets instrumentation makes stale. */
export function isCodeOffsetSection(name: string): boolean {
  // external_debug_info names a split DWARF file whose offsets are the input's
  return name.startsWith('.debug_') || name === 'sourceMappingURL' || name === 'external_debug_info';
}

/** The input's source lines, or undefined; a malformed table costs a warning, never the instrumentation. */
export function inputSourceLines(
  input: Uint8Array,
  sections: readonly Section[],
  from: { sourceMap?: string; debugFile?: Uint8Array },
  warnings: string[],
): SourceLines | undefined {
  try {
    return readSourceLines(input, sections, from.sourceMap, from.debugFile);
  } catch (e) {
    if (!(e instanceof WasmFormatError)) throw e;
    warnings.push(`no source lines: ${e.message}`);
    return undefined;
  }
}

/** `binary` without the sections isCodeOffsetSection() names, and their names (deduplicated, in order). */
export function dropCodeOffsetSections(binary: Uint8Array<ArrayBuffer>): { binary: Uint8Array<ArrayBuffer>; dropped: string[] } {
  const drop = readSections(binary).filter((s) => s.name !== undefined && isCodeOffsetSection(s.name));
  if (drop.length === 0) return { binary, dropped: [] };
  const kept = binary.length - drop.reduce((n, s) => n + (s.end - s.start), 0);
  const out = new Uint8Array(kept);
  let from = 0;
  let to = 0;
  for (const s of drop) {
    out.set(binary.subarray(from, s.start), to);
    to += s.start - from;
    from = s.end;
  }
  out.set(binary.subarray(from), to);
  return { binary: out, dropped: [...new Set(drop.map((s) => s.name!))] };
}
