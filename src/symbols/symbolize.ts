/**
 * Giving a trace's instances better names: from symbol files (an unstripped
 * build, an Emscripten symbol map, a name map) and by demangling C++ and
 * Rust names. Works on the instance list only, so every output of every
 * reader shows the same names and read-time filters match them.
 *
 * No Node APIs: the files and the demangler come from the caller.
 */
import type { DataFileInstance } from '../datafile/format.js';
import type { TraceInstanceInfo, TraceStream } from '../ring/event.js';
import { SymbolFileError, type SymbolFile } from './symbol-files.js';
import type { SourceLines } from '../abi/index.js';

export interface NamingOptions {
  symbols?: readonly SymbolFile[];
  /** null: names stay mangled (--no-demangle) */
  demangle?: ((name: string) => string) | null;
}

type Described = Pick<DataFileInstance, 'id' | 'name' | 'functionCount' | 'importCount' | 'codeLayout'>;

export interface Naming {
  trace: TraceStream;
  /** one line each, for stderr: how a symbol file was matched when the match is weaker than usual */
  notes: string[];
}

/** Which instances a symbol file fits; throws SymbolFileError naming what differs when none does. */
function matchInstances(sym: SymbolFile, described: readonly Described[]): { ids: number[]; notes: string[] } {
  const notes: string[] = [];
  const ids: number[] = [];
  const m = sym.module;
  if (m) {
    for (const d of described) {
      if (d.functionCount !== m.functionCount || d.importCount !== m.importCount) continue;
      if (d.codeLayout === undefined) {
        notes.push(`${sym.file}: instance ${d.id} (${d.name}) was recorded without its code layout: matched by function count only`);
        ids.push(d.id);
      } else if (d.codeLayout === m.codeLayout) {
        ids.push(d.id);
      }
    }
    if (ids.length === 0) {
      const have = described.map((d) => `${d.id} ${d.name}: ${d.functionCount} functions (${d.importCount} imported), code layout ${d.codeLayout ?? 'not recorded'}`);
      throw new SymbolFileError(
        `${sym.file} is not a build of any module in the trace: it has ${m.functionCount} functions (${m.importCount} imported), code layout ${m.codeLayout}; the trace has ${have.join('; ') || 'no module'}`,
      );
    }
    return { ids, notes };
  }
  const highest = Math.max(...sym.names.keys());
  for (const d of described) if (highest < d.functionCount) ids.push(d.id);
  if (ids.length === 0) {
    throw new SymbolFileError(`${sym.file} names function ${highest}, beyond every module in the trace (${described.map((d) => `${d.id} ${d.name}: ${d.functionCount} functions`).join('; ') || 'none'})`);
  }
  if (ids.length > 1) notes.push(`${sym.file} (${sym.kind}, not checkable) applied to ${ids.length} modules with enough functions: ${ids.join(', ')}`);
  return { ids, notes };
}

/**
 * The trace with its instances renamed. `described` is what the data file
 * says of each instance (counts and code layout); instances it does not
 * describe keep their names.
 */
export function symbolize(trace: TraceStream, described: readonly Described[], options: NamingOptions): Naming {
  const notes: string[] = [];
  const names = new Map<number, string[]>(trace.instances.map((i) => [i.id, [...i.names]]));
  const lines = new Map<number, SourceLines>();
  for (const sym of options.symbols ?? []) {
    const match = matchInstances(sym, described);
    notes.push(...match.notes);
    for (const id of match.ids) {
      if (sym.sourceLines && !lines.has(id)) lines.set(id, sym.sourceLines);
      const list = names.get(id);
      if (!list) continue;
      for (const [index, name] of sym.names) if (index < list.length || index < (described.find((d) => d.id === id)?.functionCount ?? 0)) list[index] = name;
    }
  }
  const demangle = options.demangle ?? null;
  const instances: TraceInstanceInfo[] = trace.instances.map((i) => {
    const list = names.get(i.id)!;
    // holes (indexes past the recorded list) keep the func[N] fallback
    for (let k = 0; k < list.length; k++) if (list[k] === undefined) list[k] = `func[${k}]`;
    const sourceLines = i.sourceLines ?? lines.get(i.id);
    return { ...i, names: demangle ? list.map(demangle) : list, ...(sourceLines !== undefined ? { sourceLines } : {}) };
  });
  return { trace: { ...trace, instances }, notes };
}
