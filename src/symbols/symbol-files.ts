/**
 * Names for a stripped module, from a file its author has (`--symbols FILE`
 * on the readers): what kind of file it is, and the name of each function
 * index it gives.
 *
 * - the unstripped build of the same module (a .wasm with a name section):
 *   it must have the same functions (count, imports) and the same code
 *   section layout (abi codeLayout) as the module that was recorded, or it
 *   is refused with a one-line error saying what differs; its DWARF line
 *   table, when it has one, gives the functions' file:line too;
 * - an Emscripten symbol map (`emcc --emit-symbol-map`): `index:name` lines,
 *   index in the function index space;
 * - a name map as JSON (what a wasm-bindgen build script can write from the
 *   unstripped module): an object `{ "index": "name" }` or an array of names.
 *
 * No Node APIs: the bytes come from the caller.
 */
import { codeLayout, findCustomSection, readSections, readSourceLines, type SourceLines } from '../abi/index.js';
import { readModuleFunctions } from '../instrument/function-names.js';
import { parseNameSection } from '../instrument/wasm-binary.js';

export type SymbolFileKind = 'module' | 'emscripten symbol map' | 'name map';

export interface SymbolFile {
  /** as the user gave it, for messages */
  file: string;
  kind: SymbolFileKind;
  /** name by function index (only indexes the file names) */
  names: Map<number, string>;
  /** a module: its function counts and code layout, what a recorded instance must match */
  module?: { functionCount: number; importCount: number; codeLayout: string };
  /** a module with DWARF (or nothing): each function's file:line, for `--srcline` on a trace of its stripped build */
  sourceLines?: SourceLines;
}

export class SymbolFileError extends Error {}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/** Reads a symbols file; throws SymbolFileError (one line, naming the file) when it is none of the kinds. */
export function parseSymbolFile(file: string, bytes: Uint8Array): SymbolFile {
  if (WASM_MAGIC.every((b, i) => bytes[i] === b)) {
    let fns: ReturnType<typeof readModuleFunctions>;
    let layout: string;
    let sourceLines: SourceLines | undefined;
    try {
      fns = readModuleFunctions(bytes);
      layout = codeLayout(bytes);
    } catch (e) {
      throw new SymbolFileError(`${file}: not a valid WebAssembly module: ${(e as Error).message}`);
    }
    try {
      sourceLines = readSourceLines(bytes, readSections(bytes));
    } catch {
      // damaged DWARF costs the file:line column (--srcline says when no module has one), not the names
    }
    // Only the name section's names count (readModuleFunctions falls back to exports, imports and func[N]).
    const section = findCustomSection(readSections(bytes), 'name');
    const names = new Map(section ? parseNameSection(bytes, section).functionNames : []);
    if (names.size === 0) throw new SymbolFileError(`${file}: the module has no function names (no name section): it is stripped too`);
    return {
      file,
      kind: 'module',
      names,
      module: { functionCount: fns.functionCount, importCount: fns.importCount, codeLayout: layout },
      ...(sourceLines ? { sourceLines } : {}),
    };
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new SymbolFileError(`${file}: not valid JSON: ${(e as Error).message}`);
    }
    const names = new Map<number, string>();
    const entries: Array<[string, unknown]> = Array.isArray(json) ? json.map((v, i) => [String(i), v]) : Object.entries(json as object);
    for (const [k, v] of entries) {
      const index = Number(k);
      if (!Number.isInteger(index) || index < 0 || (typeof v !== 'string' && v !== null)) {
        throw new SymbolFileError(`${file}: a name map maps function indexes to names; '${k}' -> ${JSON.stringify(v)} is not that`);
      }
      if (typeof v === 'string' && v !== '') names.set(index, v);
    }
    return { file, kind: 'name map', names };
  }
  const names = new Map<number, string>();
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const m = /^(\d+):(.+)$/.exec(line);
    if (!m) throw new SymbolFileError(`${file}:${i + 1}: not an Emscripten symbol map line (index:name): ${JSON.stringify(line.slice(0, 60))}`);
    names.set(Number(m[1]), m[2]!);
  });
  if (names.size === 0) throw new SymbolFileError(`${file}: empty: no symbols`);
  return { file, kind: 'emscripten symbol map', names };
}
