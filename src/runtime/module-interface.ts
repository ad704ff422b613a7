/**
 * A traced module's interface as its original bytes would report it:
 * `WebAssembly.Module.imports` / `exports` of the instrumented module, less
 * what the pass added, in the original order. Only a module instrumented
 * here needs this: the small runtime's build gives the interceptor
 * page-pass.ts instead (scripts/build-browser.mjs).
 */
import { TRACE_MEMORY } from '../abi/trace-memory.js';
import { ABI, SectionId, isAbiExport, readExportSection, readImportSection, readSections } from '../abi/index.js';

/** The original module's imports and exports, in order. */
export interface ModuleInterface {
  /** `module\0name\0kind` per import */
  imports: string[];
  /** export names */
  exports: string[];
}

/** The descriptors whose key the original lists, in the original's order (others were added by the pass). */
function inOriginalOrder<T>(descriptors: T[], original: string[], key: (d: T) => string): T[] {
  const positions = new Map<string, number[]>();
  original.forEach((k, i) => {
    const list = positions.get(k);
    if (list) list.push(i);
    else positions.set(k, [i]);
  });
  const kept: [number, T][] = [];
  for (const d of descriptors) {
    const at = positions.get(key(d))?.shift();
    if (at !== undefined) kept.push([at, d]);
  }
  return kept.sort((a, b) => a[0] - b[0]).map((e) => e[1]);
}

/** The import keys and export names of a module, in order; null when a section cannot be read. */
export function readInterface(bytes: Uint8Array): ModuleInterface | null {
  try {
    const iface: ModuleInterface = { imports: [], exports: [] };
    for (const s of readSections(bytes)) {
      if (s.id === SectionId.import) iface.imports = readImportSection(bytes, s).map((d) => `${d.module}\0${d.name}\0${d.kind}`);
      else if (s.id === SectionId.export) iface.exports = readExportSection(bytes, s).map((d) => d.name);
    }
    return iface;
  } catch {
    return null;
  }
}

/**
 * The engine's import descriptors of an instrumented module as the original
 * listed them: less the pass's imports, in the original order (binaryen
 * writes function imports before the others). `iface` null: the original
 * import section could not be read; drop the pass's imports by name.
 */
export function originalImports(all: WebAssembly.ModuleImportDescriptor[], iface: ModuleInterface | null | undefined, added: PassImports = {}): WebAssembly.ModuleImportDescriptor[] {
  if (iface) return inOriginalOrder(all, iface.imports, (d) => `${d.module}\0${d.name}\0${d.kind}`);
  if (added.traceMemory) {
    // the trace memory's imports (the small runtime never sees them: it traces no such module)
    for (const [name, kind] of [
      [TRACE_MEMORY.memory, 'memory'],
      [TRACE_MEMORY.drain, 'function'],
      [TRACE_MEMORY.clock, 'function'],
    ] as const)
      dropLastImport(all, name, kind);
  }
  return withoutPassImports(all, added);
}

/** What the pass added besides `ftrace.mcount` (FtraceMetadata's flags). */
export interface PassImports {
  exitHooks?: boolean;
  traceMemory?: boolean;
}

/** `all` less the pass's imports, found by name (the pass appends them: the last one of each name). */
export function withoutPassImports(all: WebAssembly.ModuleImportDescriptor[], added: PassImports = {}): WebAssembly.ModuleImportDescriptor[] {
  dropLastImport(all, ABI.mcount, 'function');
  if (added.exitHooks) dropLastImport(all, ABI.mcountExit, 'function');
  return all;
}

/** Removes the last `ftrace.<name>` import of this kind from `all` (the pass appends its imports). */
function dropLastImport(all: WebAssembly.ModuleImportDescriptor[], name: string, kind: WebAssembly.ImportExportKind): void {
  for (let i = all.length - 1; i >= 0; i--) {
    const d = all[i]!;
    if (d.module === ABI.importModule && d.name === name && d.kind === kind) {
      all.splice(i, 1);
      return;
    }
  }
}

/** The engine's export descriptors of an instrumented module as the original listed them (less `__ftrace_*`). */
export function originalExports(all: WebAssembly.ModuleExportDescriptor[], iface: ModuleInterface | null | undefined): WebAssembly.ModuleExportDescriptor[] {
  return iface ? inOriginalOrder(all, iface.exports, (d) => d.name) : withoutAbiExports(all);
}

/** `all` less the pass's exports, by name. */
export function withoutAbiExports(all: WebAssembly.ModuleExportDescriptor[]): WebAssembly.ModuleExportDescriptor[] {
  return all.filter((d) => !isAbiExport(d.name));
}

/**
 * Hides the pass's export (`__ftrace_control`) from `instance.exports`, as
 * Module.exports hides it: loaders that walk every export (Emscripten's
 * dynamic linking) must see what the original module exports. The real
 * object is frozen, so an own `exports` property on the instance shadows the
 * prototype's getter with a frozen copy (same functions, same order).
 * Call it after the core has taken what it needs from the real exports.
 */
export function hideAbiExports(instance: WebAssembly.Instance): void {
  const all = instance.exports;
  const names = Object.keys(all);
  if (!names.some(isAbiExport)) return;
  const visible: WebAssembly.Exports = Object.create(null) as WebAssembly.Exports;
  for (const n of names) if (!isAbiExport(n)) visible[n] = all[n]!;
  Object.defineProperty(instance, 'exports', { value: Object.freeze(visible), writable: false, enumerable: false, configurable: true });
}
