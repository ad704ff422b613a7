/**
 * The pass's first step: read what it needs from the module, change nothing.
 * Functions and their display names, which of them get mcount, and how each
 * can be reached indirectly (its static table slots, whether its reference
 * escapes).
 */
import { ByteReader, SectionId, findSection, readImportSection, functionName, matchesAny, type Glob, type Section } from '../abi/index.js';
import binaryen, { type FunctionInfo, type Module } from './binaryen.js';
import { constIndex, elemGetData, elemGetLength, elemGetOffset, elemGetTable, elemIsPassive, functionGetName, getId, tableGetName, type Ref } from './c-api.js';
import { ID } from './children.js';
import { SLOT_TAG, type ModuleScan } from './context.js';
import { InstrumentError } from './errors.js';

export interface ScanOptions {
  /** the input's name section, by ip */
  explicitNames: ReadonlyMap<number, string> | undefined;
  only: readonly Glob[];
  notrace: readonly Glob[];
}

export function scanModule(mod: Module, input: Uint8Array, sections: readonly Section[], options: ScanOptions): ModuleScan {
  const functionCount = mod.getNumFunctions();
  const fnRefs: Ref[] = [];
  const infos: FunctionInfo[] = [];
  let importCount = 0;
  for (let i = 0; i < functionCount; i++) {
    const ref = mod.getFunctionByIndex(i);
    const info = binaryen.getFunctionInfo(ref);
    fnRefs.push(ref);
    infos.push(info);
    if (info.module) {
      if (importCount !== i) throw new InstrumentError('internal error: binaryen listed a function import after a defined function', { kind: 'internal' });
      importCount++;
    }
  }
  const names = displayNames(mod, infos, options.explicitNames);
  const traced = selectTraced(names, importCount, options.only, options.notrace);

  const noTokenPtrs = new Set<number>();
  const ipOfName = new Map<number, number>();
  for (let i = 0; i < functionCount; i++) {
    const ptr = functionGetName(fnRefs[i]!);
    if (traced[i]) ipOfName.set(ptr, i);
    else noTokenPtrs.add(ptr);
  }
  return {
    functionCount,
    importCount,
    fnRefs,
    infos,
    names,
    traced,
    ipOfName,
    noTokenPtrs,
    ...tableReachability(mod, fnRefs),
    gcOutput: usesGC(input, sections) || valueTypesUseGC(input, sections),
  };
}

/** Display names: explicit, else the first export name, else module.field, else func[N]. */
function displayNames(mod: Module, infos: readonly FunctionInfo[], explicitNames: ReadonlyMap<number, string> | undefined): string[] {
  const exportNames = new Map<string, string>();
  for (let i = 0; i < mod.getNumExports(); i++) {
    const e = binaryen.getExportInfo(mod.getExportByIndex(i));
    if (e.kind === binaryen.ExternalFunction && !exportNames.has(e.value)) exportNames.set(e.value, e.name);
  }
  return infos.map((info, i) => {
    const explicit = explicitNames?.get(i);
    if (explicit !== undefined) return explicit;
    const exported = exportNames.get(info.name);
    if (exported !== undefined) return exported;
    if (info.module) return `${info.module}.${info.base}`;
    return functionName(undefined, i);
  });
}

/** Which functions get mcount; a glob that matches no defined function is an error. */
function selectTraced(names: readonly string[], importCount: number, only: readonly Glob[], notrace: readonly Glob[]): boolean[] {
  const traced = names.map((name, i) => i >= importCount && (only.length === 0 || matchesAny(only, name)) && !matchesAny(notrace, name));
  for (const [globs, option] of [[only, '--only'], [notrace, '--notrace']] as const) {
    for (const g of globs) {
      if (!names.some((n, i) => i >= importCount && g.test(n))) {
        throw new InstrumentError(`${option} '${g.source}' matches no function in the module`, { kind: 'no-match', option, pattern: g.source });
      }
    }
  }
  return traced;
}

/** How each function can be reached indirectly: its static table slots, and whether its reference escapes. */
function tableReachability(mod: Module, fnRefs: readonly Ref[]): Pick<ModuleScan, 'tables' | 'slotTags' | 'escapes'> {
  // Names are interned in binaryen: a segment's items and table are compared by pointer.
  const tables = new Map<number, number>();
  for (let t = 0; t < mod.getNumTables(); t++) tables.set(tableGetName(mod.getTableByIndex(t)), t);
  const ipByName = new Map(fnRefs.map((ref, i) => [functionGetName(ref), i]));
  const slotTags: number[][] = fnRefs.map(() => []);
  const escapes = new Set<number>();
  for (let k = 0; k < mod.getNumElementSegments(); k++) {
    const seg = elementSegment(mod.getElementSegmentByIndex(k));
    const offset = seg.offset && getId(seg.offset) === ID.Const ? constIndex(seg.offset) : null;
    const table = seg.table === 0 ? undefined : tables.get(seg.table);
    seg.data.forEach((name, j) => {
      const ip = name === 0 ? undefined : ipByName.get(name);
      if (ip === undefined) return;
      if (offset === null || table === undefined) escapes.add(ip);
      else slotTags[ip]!.push((SLOT_TAG | (table << 24) | ((offset + j) & 0xffffff)) >>> 0);
    });
  }
  return { tables, slotTags, escapes };
}

/**
 * An element segment as the pass reads it. binaryen.getElementSegmentInfo
 * throws a C++ exception (not an Error) for a passive segment (it asks for
 * its offset) and for an item that is an expression other than ref.func or
 * ref.null, so the raw accessors are called one by one. A passive segment
 * has no table and no offset: its functions escape (table.init puts them
 * anywhere). Names come as C string pointers (interned); 0 for none.
 */
function elementSegment(seg: Ref): { table: number; offset: Ref | null; data: number[] } {
  const passive = elemIsPassive(seg) !== 0;
  const data: number[] = [];
  for (let j = 0, n = elemGetLength(seg); j < n; j++) {
    try {
      data.push(elemGetData(seg, j));
    } catch {
      data.push(0);
    }
  }
  return { table: passive ? 0 : elemGetTable(seg), offset: passive ? null : elemGetOffset(seg) || null, data };
}

/**
 * Value-type bytes of the GC era: typed references (`ref null $t`, `ref $t`),
 * the GC abstract types (any, eq, i31, struct, array, the null types) and,
 * in the type section, the struct, array, sub and rec forms.
 */
const GC_BYTES = new Set([0x4e, 0x4f, 0x50, 0x5e, 0x5f, 0x63, 0x64, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x71, 0x72, 0x73]);

/**
 * A module uses GC types when its type section has struct, array, rec or sub
 * entries, or typed/abstract GC references, or when a value type elsewhere
 * is one (valueTypesUseGC). When it does not, we write it with GC disabled:
 * binaryen otherwise emits GC-era encodings (`ref.null nofunc`) that engines
 * without GC, Node 20's among them, reject.
 */
function usesGC(input: Uint8Array, sections: readonly Section[]): boolean {
  const typeSection = findSection(sections, SectionId.type);
  if (!typeSection) return false;
  const r = new ByteReader(input, typeSection.payload, typeSection.end, 'type section');
  try {
    const count = r.u32();
    for (let i = 0; i < count; i++) {
      const form = r.u8();
      if (form !== 0x60) return true;
      for (let side = 0; side < 2; side++) {
        const n = r.u32();
        for (let j = 0; j < n; j++) if (GC_BYTES.has(r.u8())) return true;
      }
    }
  } catch {
    return true; // cannot tell: keep every feature
  }
  return false;
}

/**
 * Whether a value type outside the type section is a GC-era one: an imported
 * global or table (abi's readImportSection), a table, a global, a function's
 * locals. A typed function
 * reference such as `(ref null $sig)` (what call_ref takes) needs no GC type
 * in the type section, and binaryen writes it as plain funcref with GC
 * disabled, after which call_ref no longer validates. Read from the input's
 * bytes: binaryen's IR cannot tell, its reader adds scratch locals of exact
 * reference types to plain modules too. Anything not understood counts as GC.
 */
function valueTypesUseGC(input: Uint8Array, sections: readonly Section[]): boolean {
  const at = (id: SectionId, what: string): ByteReader | null => {
    const sec = findSection(sections, id);
    return sec ? new ByteReader(input, sec.payload, sec.end, what) : null;
  };
  try {
    const importSection = findSection(sections, SectionId.import);
    if (importSection && readImportSection(input, importSection).some((i) => i.valueType !== undefined && GC_BYTES.has(i.valueType))) return true;
    const tables = at(SectionId.table, 'table section');
    for (let i = 0, n = tables?.u32() ?? 0; i < n; i++) {
      const b = tables!.u8();
      // 0x40: a table with an initializer, which only typed tables have
      if (b === 0x40 || GC_BYTES.has(b)) return true;
      tables!.limits();
    }
    const globals = at(SectionId.global, 'global section');
    for (let i = 0, n = globals?.u32() ?? 0; i < n; i++) {
      if (GC_BYTES.has(globals!.u8())) return true;
      globals!.u8();
      if (!skipPlainConstExpr(globals!)) return true;
    }
    const code = at(SectionId.code, 'code section');
    for (let i = 0, n = code?.u32() ?? 0; i < n; i++) {
      const r = code!;
      const size = r.u32();
      const end = r.pos + size;
      for (let j = 0, groups = r.u32(); j < groups; j++) {
        r.u32();
        if (GC_BYTES.has(r.u8())) return true;
      }
      r.pos = end;
    }
  } catch {
    return true;
  }
  return false;
}

/** Skips a constant expression made of MVP and extended-const instructions; false at anything else (ref.null of a typed heap, GC instructions). */
function skipPlainConstExpr(r: ByteReader): boolean {
  for (;;) {
    const op = r.u8();
    if (op === 0x0b) return true;
    if (op === 0x41 || op === 0x42) r.sleb();
    else if (op === 0x43) r.skip(4);
    else if (op === 0x44) r.skip(8);
    else if (op === 0x23 || op === 0xd2) r.u32();
    else if (op === 0xd0) {
      // ref.null: an abstract heap type is one byte (0x70 func, 0x6f extern); a type index means a typed reference
      const ht = r.u8();
      if (ht !== 0x70 && ht !== 0x6f) return false;
    } else if (op === 0x6a || op === 0x6b || op === 0x6c || op === 0x7c || op === 0x7d || op === 0x7e) continue;
    else if (op === 0xfd) {
      if (r.u32() !== 12) return false; // v128.const
      r.skip(16);
    } else return false;
  }
}
