/**
 * The functions of a module and their display names, read from the binary
 * with no binaryen: `wasm-ftrace list` answers from this in milliseconds,
 * and gives the names the instrument pass would write into its metadata
 * (explicit name, else first export name, else module.field, else func[N]).
 */
import { ByteReader, findCustomSection, findSection, functionName, readExportSection, readImportSection, readSections, SectionId } from '../abi/index.js';
import { parseNameSection } from './wasm-binary.js';

export interface ModuleFunctions {
  /** functions in the index space, imports included */
  functionCount: number;
  importCount: number;
  /** a display name per function index */
  names: string[];
  /** name section subsection 0 */
  moduleName: string | null;
}

/** Reads function count, imports, exports and names; throws WasmFormatError on a malformed module. */
export function readModuleFunctions(bytes: Uint8Array): ModuleFunctions {
  const sections = readSections(bytes);
  const importSection = findSection(sections, SectionId.import);
  const imported = (importSection ? readImportSection(bytes, importSection) : []).filter((i) => i.kind === 'function');
  const functionSection = findSection(sections, SectionId.function);
  const defined = functionSection ? new ByteReader(bytes, functionSection.payload, functionSection.end, 'function section').u32() : 0;
  const exportNames = new Map<number, string>();
  const exportSection = findSection(sections, SectionId.export);
  for (const e of exportSection ? readExportSection(bytes, exportSection) : []) {
    if (e.kind === 'function' && !exportNames.has(e.index)) exportNames.set(e.index, e.name);
  }
  const nameSection = findCustomSection(sections, 'name');
  const parsed = nameSection ? parseNameSection(bytes, nameSection) : undefined;
  const functionCount = imported.length + defined;
  const names: string[] = [];
  for (let i = 0; i < functionCount; i++) {
    const im = imported[i];
    names.push(parsed?.functionNames.get(i) ?? exportNames.get(i) ?? (im ? `${im.module}.${im.name}` : functionName(undefined, i)));
  }
  return { functionCount, importCount: imported.length, names, moduleName: parsed?.moduleName ?? null };
}
