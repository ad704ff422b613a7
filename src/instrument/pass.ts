/**
 * The instrument pass: wasm-ftrace's `gcc -pg`.
 *
 * Every defined function gets a prologue that calls the imported hook
 *
 *     ftrace.mcount(ip: i32, parent_ip: i32) -> ()
 *
 * where `ip` is the function's index in the *input* module (imports counted)
 * and `parent_ip` the ip of its caller, or HOST_IP (-1) when the call came
 * from outside the module.
 *
 * How the caller is known: an i64 global, the caller token, is set by each
 * call site that may reach a traced function, right before control
 * transfers (after the call's last operand, since an operand that itself
 * calls would overwrite it):
 *
 *     token = callee << 32 | caller_ip
 *
 * where callee is the target's ip for a direct call, the table slot for
 * call_indirect (computed at run time from the slot operand), or "any
 * escaped reference" for call_ref. A traced prologue takes caller_ip when
 * the token names it (its ip, one of its static table slots, or any slot if
 * its reference escapes), else HOST, and resets the token. A function
 * entered from JS, the start function, or the host through a table finds a
 * token naming some other callee, or the reset value -1, and reports HOST.
 * Direct calls to imports and notrace functions never set it.
 *
 * Untraced functions (and traced ones whose guard is off) do no token work
 * at all: when tracing is off the only cost is one guard test per entry and
 * one store per call site. A token left by a call that never reached a
 * traced prologue (into an import, a notrace function, a trap) is stale, but
 * names its callee, so only that same callee could mistake it for fresh
 * (the host resets the token when it turns a guard on).
 *
 * How tracing costs nothing when off (dynamic ftrace's NOP patching): each
 * mcount call sits behind a guard bit, bit ip%32 of exported global
 * `__ftrace_guard_{ip>>5}`. Guards start set, so the output runs on any host
 * that supplies `ftrace.mcount`; a host clears the bits of functions no ops
 * wants, and those never leave wasm.
 */
import binaryen, { captureBinaryenOutput, readBinary, READ_FEATURES, SIDE_EFFECT_BRANCHES, SIDE_EFFECT_CALLS, type FunctionInfo, type Module } from './binaryen.js';
import { CHILD_SLOTS, ID, IS_LEAF, OPAQUE_KIND_NAMES, SLOTS_BY_ID } from './children.js';
import { encodeFunctionNames, encodeNameSection, parseActiveDataSegments, parseNameSection, setCustomSection } from './wasm-binary.js';
import {
  ABI,
  ByteReader,
  HOST_IP,
  METADATA_SECTION,
  METADATA_VERSION,
  SectionId,
  WasmFormatError,
  compileGlob,
  encodeMetadata,
  findCustomSection,
  findSection,
  functionName,
  matchesAny,
  readSections,
  type FtraceMetadata,
  type Glob,
  type Section,
  type StaticDataBounds,
} from '../abi/index.js';

export interface InstrumentOptions {
  /** instrument only functions whose name matches one of these globs */
  only?: readonly string[];
  /** leave functions whose name matches one of these globs uninstrumented */
  notrace?: readonly string[];
  /**
   * Also call `ftrace.mcount_exit(ip)` on every way out of a traced function
   * (fall-through, return, a branch to the body's outer block, before a tail
   * call), for the function_graph tracer. Exit hooks have guards of their own.
   */
  exitHooks?: boolean;
}

export interface InstrumentStats {
  /** functions in the input, imports included */
  functions: number;
  imports: number;
  /** defined functions that call mcount */
  instrumented: number;
  /** defined functions left without mcount (--only / --notrace) */
  skipped: number;
  /** call sites that set the caller token */
  callSites: number;
}

export interface InstrumentResult {
  binary: Uint8Array;
  metadata: FtraceMetadata;
  stats: InstrumentStats;
  /** things the user should know that did not stop instrumentation */
  warnings: string[];
}

/** An error about the user's input, with a message fit to print on one line. */
export class InstrumentError extends Error {
  override name = 'InstrumentError';
}

type Ref = number;
const raw = binaryen as unknown as Record<string, (...a: number[]) => number>;
const getId = raw['_BinaryenExpressionGetId']!;
const getType = raw['_BinaryenExpressionGetType']!;
const callGetTarget = raw['_BinaryenCallGetTarget']!;
const returnGetValue = raw['_BinaryenReturnGetValue']!;
const callIndirectIsReturn = raw['_BinaryenCallIndirectIsReturn']!;
const callRefIsReturn = raw['_BinaryenCallRefIsReturn']!;
const callIndirectGetTable = raw['_BinaryenCallIndirectGetTable']!;
const tableGetName = raw['_BinaryenTableGetName']!;
const refFuncGetFunc = raw['_BinaryenRefFuncGetFunc']!;
const constGetI32 = raw['_BinaryenConstGetValueI32']!;
const callIsReturn = raw['_BinaryenCallIsReturn']!;
const callGetNumOperands = raw['_BinaryenCallGetNumOperands']!;
const callGetOperandAt = raw['_BinaryenCallGetOperandAt']!;
const callSetOperandAt = raw['_BinaryenCallSetOperandAt']!;
const tryGetNumCatchTags = raw['_BinaryenTryGetNumCatchTags']!;
const tryGetCatchBodyAt = raw['_BinaryenTryGetCatchBodyAt']!;
const trySetCatchBodyAt = raw['_BinaryenTrySetCatchBodyAt']!;
const functionGetName = raw['_BinaryenFunctionGetName']!;
const functionAddVar = raw['_BinaryenFunctionAddVar']!;
const functionGetBody = raw['_BinaryenFunctionGetBody']!;
const functionSetBody = raw['_BinaryenFunctionSetBody']!;
const functionGetResults = raw['_BinaryenFunctionGetResults']!;
const sideEffects = raw['_BinaryenExpressionGetSideEffects']!;
const typeIsNullable = raw['_BinaryenTypeIsNullable']!;
const typeGetHeapType = raw['_BinaryenTypeGetHeapType']!;
const typeFromHeapType = raw['_BinaryenTypeFromHeapType']!;

/**
 * The callee half of a token (bits 63..32):
 *   ip                                    a direct call to function ip
 *   SLOT_TAG | table << 24 | slot        call_indirect through that table slot (computed at run time)
 *   REF_TAG                               call_ref: any function whose reference escapes may take it
 *   0xFFFFFFFF                            nobody (the initial and reset value)
 */
const SLOT_TAG = 0x80000000;
/** SideEffects bits (const enums in the typings) that must stay before a call's token... */
const EFFECTS_AFTER_TOKEN = 2 /* Calls */ | 8192 /* DanglingPop */;
/**
 * ...and before the exit hook that precedes a tail call: what the hook's
 * callbacks could change or observe, and branches (a `return` in the operand,
 * now a branch to the exit epilogue, would run the exit hook a second time).
 */
const EFFECTS_AFTER_EXIT_HOOK = EFFECTS_AFTER_TOKEN | 1 /* Branches */ | 16 | 32 | 64 | 128 | 256 | 512 /* globals, memory, tables */ | 4096 /* Throws */;
/** the block every return of a function with exit hooks branches to */
const EXIT_LABEL = 'wasm-ftrace$exit';
const REF_TAG = 0xfffffffe;

function constI32(e: Ref): number {
  return constGetI32(e) >>> 0;
}

// Call-site nodes are built with the C API directly: binaryen.js's
// `mod.global.set(name, ...)`, `mod.i64.const` and `mod.block(null, [...])`
// copy a string or an array onto the wasm stack for every node they build.
const cBlock = raw['_BinaryenBlock']!;
const cBlockAppendChild = raw['_BinaryenBlockAppendChild']!;
const cGlobalSet = raw['_BinaryenGlobalSet']!;
const cGlobalGetName = raw['_BinaryenGlobalGetName']!;
const cLocalSet = raw['_BinaryenLocalSet']!;
const cConst = raw['_BinaryenConst']!;
const cLiteralInt64 = (binaryen as unknown as Record<string, (literal: number, value: bigint) => void>)['_BinaryenLiteralInt64']!;
/** One scratch BinaryenLiteral for the process: BinaryenConst copies it at once. */
const LITERAL = raw['_malloc']!(raw['_BinaryenSizeofLiteral']!());

function cI64(m: number, value: bigint): Ref {
  cLiteralInt64(LITERAL, BigInt.asIntN(64, value));
  return cConst(m, LITERAL);
}

/** An unnamed block of the given type, its children appended rather than marshalled. */
function cBlockOf(m: number, type: number, children: Ref[]): Ref {
  const block = cBlock(m, 0, 0, 0, type);
  for (const c of children) cBlockAppendChild(block, c);
  return block;
}

/** binaryen 132's i64.const takes one bigint (the typings still say two halves). */
function i64(mod: Module, value: bigint): Ref {
  return (mod.i64.const as unknown as (v: bigint) => Ref)(BigInt.asIntN(64, value));
}

const NUMERIC_TYPES = new Set<number>([binaryen.i32, binaryen.i64, binaryen.f32, binaryen.f64, binaryen.v128]);
const TRIVIAL_KINDS = new Set<number>([ID.LocalGet, ID.GlobalGet, ID.Const, ID.RefNull, ID.RefFunc]);

export function instrument(input: Uint8Array, options: InstrumentOptions = {}): InstrumentResult {
  const sections = checkedSections(input);
  if (findCustomSection(sections, METADATA_SECTION)) {
    throw new InstrumentError('module is already instrumented by wasm-ftrace (it has a wasm-ftrace section)');
  }
  const only = compileGlobs(options.only ?? [], '--only');
  const notrace = compileGlobs(options.notrace ?? [], '--notrace');
  const nameSection = findCustomSection(sections, 'name');
  const inputNames = nameSection ? parseNameSection(input, nameSection) : undefined;
  const warnings: string[] = [];
  for (const s of sections) {
    if (s.name?.startsWith('.debug_') || s.name === 'sourceMappingURL') {
      warnings.push(`the module has ${s.name}: its code offsets are stale after instrumentation`);
      break;
    }
  }

  const mod = readModule(input);
  try {
    return instrumentModule(mod, input, sections, inputNames?.functionNames, inputNames?.moduleName, only, notrace, options.exitHooks === true, warnings);
  } finally {
    mod.dispose();
  }
}

function checkedSections(input: Uint8Array): Section[] {
  try {
    return readSections(input);
  } catch (e) {
    if (e instanceof WasmFormatError) throw new InstrumentError(e.message);
    throw e;
  }
}

function compileGlobs(patterns: readonly string[], option: string): Glob[] {
  return patterns.map((p) => {
    try {
      return compileGlob(p);
    } catch (e) {
      throw new InstrumentError(`${option}: ${(e as Error).message}`);
    }
  });
}

function readModule(input: Uint8Array): Module {
  const read = captureBinaryenOutput(() => readBinary(input, READ_FEATURES));
  if (read.error !== undefined || !read.result) {
    throw new InstrumentError(`invalid module: ${firstLine(read.output, read.error)}`);
  }
  const mod = read.result;
  // Engines validate cheaply what they support; binaryen validates the rest.
  if (!WebAssembly.validate(input as Uint8Array<ArrayBuffer>)) {
    const v = captureBinaryenOutput(() => mod.validate());
    if (!v.result) {
      mod.dispose();
      throw new InstrumentError(`invalid module: ${firstLine(v.output, v.error)}`);
    }
  }
  return mod;
}

function firstLine(output: string[], error: unknown): string {
  const text = output.join('\n').replace(/\[parse exception: /, '').replace(/\]\s*$/, '');
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  if (line.length > 0) {
    // "[wasm-validator error in function 3] unexpected false: ..., on" -> without the trailing "on"
    return line.slice(0, 2).join(' ').replace(/,? on$/, '').replace(/^\[|\]$/g, '');
  }
  const msg = (error as { message?: string } | undefined)?.message;
  return msg ?? 'binaryen could not read it';
}

function instrumentModule(
  mod: Module,
  input: Uint8Array,
  sections: Section[],
  explicitNames: Map<number, string> | undefined,
  moduleName: string | undefined,
  only: Glob[],
  notrace: Glob[],
  exitHooks: boolean,
  warnings: string[],
): InstrumentResult {
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
      if (importCount !== i) throw new InstrumentError('internal error: binaryen listed a function import after a defined function');
      importCount++;
    }
  }

  // Display names: explicit, else the first export name, else module.field, else func[N].
  const exportNames = new Map<string, string>();
  for (let i = 0; i < mod.getNumExports(); i++) {
    const e = binaryen.getExportInfo(mod.getExportByIndex(i));
    if (e.kind === binaryen.ExternalFunction && !exportNames.has(e.value)) exportNames.set(e.value, e.name);
  }
  const names = infos.map((info, i) => {
    const explicit = explicitNames?.get(i);
    if (explicit !== undefined) return explicit;
    const exported = exportNames.get(info.name);
    if (exported !== undefined) return exported;
    if (info.module) return `${info.module}.${info.base}`;
    return functionName(undefined, i);
  });

  // Which functions get mcount.
  const traced: boolean[] = names.map((name, i) => i >= importCount && (only.length === 0 || matchesAny(only, name)) && !matchesAny(notrace, name));
  for (const [globs, option] of [[only, '--only'], [notrace, '--notrace']] as const) {
    for (const g of globs) {
      if (!names.some((n, i) => i >= importCount && g.test(n))) {
        throw new InstrumentError(`${option} '${g.source}' matches no function in the module`);
      }
    }
  }

  // The pass's own globals, import and exports. Internal names cannot clash:
  // binaryen never produces names with this prefix.
  const taken = (n: string): boolean => {
    for (let i = 0; i < mod.getNumExports(); i++) if (binaryen.getExportInfo(mod.getExportByIndex(i)).name === n) return true;
    return false;
  };
  for (const n of [ABI.parentGlobal, `${ABI.guardPrefix}0`]) {
    if (taken(n)) throw new InstrumentError(`the module already exports '${n}', a name wasm-ftrace reserves`);
  }
  const tokenName = 'wasm-ftrace$parent';
  mod.addGlobal(tokenName, binaryen.i64, true, i64(mod, -1n));
  mod.addGlobalExport(tokenName, ABI.parentGlobal);
  // Its interned name: interned strings live as long as the process.
  const tokenPtr = cGlobalGetName(mod.getGlobal(tokenName));
  // Guard words, exported: bit ip%32 of word ip>>5, set for every traced function.
  const guardWords = Math.ceil(functionCount / 32);
  const addGuards = (internal: string, exported: string): string[] =>
    Array.from({ length: guardWords }, (_, w) => {
      let bits = 0;
      for (let b = 0; b < 32; b++) if (traced[w * 32 + b]) bits |= 1 << b;
      const name = `wasm-ftrace$${internal}${w}`;
      mod.addGlobal(name, binaryen.i32, true, mod.i32.const(bits));
      mod.addGlobalExport(name, `${exported}${w}`);
      return name;
    });
  const guardNames = addGuards('guard', ABI.guardPrefix);
  const exitGuardNames = exitHooks ? addGuards('exit_guard', ABI.exitGuardPrefix) : [];
  const mcountName = 'wasm-ftrace$mcount';
  mod.addFunctionImport(mcountName, ABI.importModule, ABI.mcount, binaryen.createType([binaryen.i32, binaryen.i32]), binaryen.none);
  const mcountExitName = 'wasm-ftrace$mcount_exit';
  if (exitHooks) mod.addFunctionImport(mcountExitName, ABI.importModule, ABI.mcountExit, binaryen.i32, binaryen.none);
  /** (if (exit guard bit) (call $mcount_exit (i32 ip))) -> () */
  const exitHook = (ip: number): Ref =>
    mod.if(
      mod.i32.and(mod.global.get(exitGuardNames[ip >> 5]!, binaryen.i32), mod.i32.const(1 << (ip & 31))),
      mod.call(mcountExitName, [mod.i32.const(ip)], binaryen.none),
    );

  // Interned name pointers (binaryen interns names, so a call's target
  // pointer equals its function's). Imports and notrace functions never read
  // a token, so direct calls to them do not set one.
  const noTokenPtrs = new Set<number>();
  const ipOfName = new Map<number, number>();
  for (let i = 0; i < functionCount; i++) {
    const ptr = functionGetName(fnRefs[i]!);
    if (traced[i]) ipOfName.set(ptr, i);
    else noTokenPtrs.add(ptr);
  }

  // How each function can be reached indirectly: its static table slots,
  // and whether its reference escapes (ref.func, passive segments).
  const tables = new Map<number, number>();
  const tableByName = new Map<string, number>();
  for (let t = 0; t < mod.getNumTables(); t++) {
    const ref = mod.getTableByIndex(t);
    tables.set(tableGetName(ref), t);
    tableByName.set(binaryen.getTableInfo(ref).name, t);
  }
  const ipByName = new Map(infos.map((info, i) => [info.name, i]));
  const slotTags: number[][] = infos.map(() => []);
  const escapes = new Set<number>();
  for (let k = 0; k < mod.getNumElementSegments(); k++) {
    const seg = binaryen.getElementSegmentInfo(mod.getElementSegmentByIndex(k));
    const offset = seg.offset && getId(seg.offset) === ID.Const ? constI32(seg.offset) : null;
    const table = tableByName.get(seg.table);
    seg.data.forEach((name, j) => {
      const ip = ipByName.get(name);
      if (ip === undefined) return;
      if (offset === null || table === undefined) escapes.add(ip);
      else slotTags[ip]!.push((SLOT_TAG | (table << 24) | ((offset + j) & 0xffffff)) >>> 0);
    });
  }

  const gcOutput = usesGC(input, sections);
  let callSites = 0;
  let instrumented = 0;
  const opaque = new Map<string, Set<string>>();
  const opaqueExits = new Map<string, Set<string>>();
  for (let i = importCount; i < functionCount; i++) {
    const fnRef = fnRefs[i]!;
    const exit = exitHooks && traced[i] ? { label: EXIT_LABEL, hook: () => exitHook(i) } : null;
    const rewriter = new FunctionRewriter(mod, fnRef, i, tokenPtr, noTokenPtrs, ipOfName, tables, exit, gcOutput);
    const body = functionGetBody(fnRef);
    const newBody = rewriter.visit(body);
    if (newBody !== body) functionSetBody(fnRef, newBody);
    callSites += rewriter.callSites;
    for (const kind of rewriter.opaqueKinds) {
      if (!opaque.has(kind)) opaque.set(kind, new Set());
      opaque.get(kind)!.add(names[i]!);
    }
    for (const kind of rewriter.opaqueExits) {
      if (!opaqueExits.has(kind)) opaqueExits.set(kind, new Set());
      opaqueExits.get(kind)!.add(names[i]!);
    }
    for (const ptr of rewriter.refFuncs) {
      const ip = ipOfName.get(ptr);
      if (ip !== undefined) escapes.add(ip);
    }
  }

  for (let i = importCount; i < functionCount; i++) {
    if (!traced[i]) continue; // notrace: no prologue
    const fnRef = fnRefs[i]!;
    // Prologue, all behind the guard. Take and reset the token before calling
    // out, so that wasm the hook itself runs sees HOST as its parent, not ours.
    //   t = token; token = -1
    //   parent = (t >> 32 names us) ? (i32)t : HOST
    const t = functionAddVar(fnRef, binaryen.i64);
    const hi = () => mod.i32.wrap(mod.i64.shr_u(mod.local.get(t, binaryen.i64), i64(mod, 32n)));
    let namesUs = mod.i32.eq(hi(), mod.i32.const(i));
    const tags = slotTags[i]!;
    if (escapes.has(i) || tags.length > 8) {
      // any slot or call_ref token (top bit set), but not the reset value -1
      namesUs = mod.i32.or(namesUs, mod.i32.and(mod.i32.lt_s(hi(), mod.i32.const(0)), mod.i32.ne(hi(), mod.i32.const(-1))));
    } else {
      for (const tag of tags) namesUs = mod.i32.or(namesUs, mod.i32.eq(hi(), mod.i32.const(tag | 0)));
    }
    const parent = mod.select(namesUs, mod.i32.wrap(mod.local.get(t, binaryen.i64)), mod.i32.const(HOST_IP | 0));
    const prologue = mod.if(
      mod.i32.and(mod.global.get(guardNames[i >> 5]!, binaryen.i32), mod.i32.const(1 << (i & 31))),
      mod.block(null, [
        mod.local.set(t, mod.global.get(tokenName, binaryen.i64)),
        mod.global.set(tokenName, i64(mod, -1n)),
        // (call $mcount (i32 ip) (i32 parent_ip)) -> ()
        mod.call(mcountName, [mod.i32.const(i), parent], binaryen.none),
      ]),
    );
    instrumented++;
    const results = functionGetResults(fnRef);
    let body = functionGetBody(fnRef);
    if (exitHooks) {
      // Returns became `br $exit`; the body's own fall-through and branches to
      // its outer block land here too.
      const inner = mod.block(EXIT_LABEL, [body], results);
      if (results === binaryen.none) {
        body = mod.block(null, [inner, exitHook(i)], binaryen.none);
      } else {
        const r = functionAddVar(fnRef, results);
        body = mod.block(null, [mod.local.set(r, inner), exitHook(i), mod.local.get(r, results)], results);
      }
    }
    functionSetBody(fnRef, mod.block(null, [prologue, body], results));
  }
  for (const [kind, fns] of opaque) {
    const list = [...fns];
    warnings.push(
      `${kind} in ${list.length} function(s) (${list.slice(0, 3).join(', ')}${list.length > 3 ? ', ...' : ''}): ` +
        `binaryen.js cannot walk it, so calls inside it report HOST as their parent`,
    );
  }
  for (const [kind, fns] of opaqueExits) {
    const list = [...fns];
    warnings.push(
      `${kind} in ${list.length} function(s) (${list.slice(0, 3).join(', ')}${list.length > 3 ? ', ...' : ''}): ` +
        `a return from inside it skips the exit hook (function_graph repairs its stack at the next event)`,
    );
  }

  if (!gcOutput) mod.setFeatures(READ_FEATURES & ~binaryen.Features.GC);
  binaryen.setDebugInfo(true);
  let binary: Uint8Array;
  try {
    binary = mod.emitBinary();
  } finally {
    binaryen.setDebugInfo(false);
  }

  const data = staticDataBounds(mod, input, sections);
  const metadata: FtraceMetadata = {
    version: METADATA_VERSION,
    functionCount,
    importCount,
    data,
    names,
    moduleName: moduleName ?? null,
    traced: traced.flatMap((t, i) => (t ? [i] : [])),
    guardWords,
    ...(exitHooks ? { exitHooks: true } : {}),
  };
  const added = [`${ABI.importModule}.${ABI.mcount}`, ...(exitHooks ? [`${ABI.importModule}.${ABI.mcountExit}`] : [])];
  binary = writeNames(binary, names, importCount, added);
  binary = setCustomSection(binary, METADATA_SECTION, encodeMetadata(metadata));
  return {
    binary,
    metadata,
    warnings,
    stats: { functions: functionCount, imports: importCount, instrumented, skipped: functionCount - importCount - instrumented, callSites },
  };
}

/**
 * Rewrites the call sites of one function so they set the caller token, and
 * hoists legacy-EH `pop`s so that wrapping a call never buries one in a block.
 */
class FunctionRewriter {
  callSites = 0;
  opaqueKinds = new Set<string>();
  /** name pointers of functions this body takes a reference to */
  refFuncs = new Set<number>();
  /** opaque kinds that may return past the exit hook */
  opaqueExits = new Set<string>();
  private temps = new Map<number, number>();

  constructor(
    private readonly mod: Module,
    private readonly fnRef: Ref,
    private readonly ip: number,
    /** interned name of the token global */
    private readonly token: number,
    private readonly noTokenPtrs: Set<number>,
    private readonly ipOfName: Map<number, number>,
    /** interned table name pointer -> table index */
    private readonly tables: Map<number, number>,
    /** exit hooks: returns become branches to `label`; tail calls run `hook()` first */
    private readonly exit: { label: string; hook: () => Ref } | null,
    /** the output keeps the GC feature (non-nullable references can be written) */
    private readonly gcOutput: boolean,
  ) {}

  visit(e: Ref): Ref {
    const id = getId(e);
    if (IS_LEAF[id] === 1) {
      if (id === ID.RefFunc) this.refFuncs.add(refFuncGetFunc(e));
      return e;
    }
    const slots = SLOTS_BY_ID[id];
    if (!slots) {
      const effects = sideEffects(e, this.mod.ptr);
      if (effects & SIDE_EFFECT_CALLS) this.opaqueKinds.add(OPAQUE_KIND_NAMES[id] ?? `expression kind #${id}`);
      if (this.exit && effects & SIDE_EFFECT_BRANCHES) this.opaqueExits.add(OPAQUE_KIND_NAMES[id] ?? `expression kind #${id}`);
      return e;
    }
    if (id === ID.Try) this.hoistPops(e);
    for (let s = 0; s < slots.length; s++) {
      const slot = slots[s]!;
      if (slot.kind === 'fixed') {
        const c = slot.get(e);
        if (c) {
          const n = this.visit(c);
          if (n !== c) slot.set(e, n);
        }
      } else {
        const count = slot.num(e);
        for (let i = 0; i < count; i++) {
          const c = slot.getAt(e, i);
          const n = this.visit(c);
          if (n !== c) slot.setAt(e, i, n);
        }
      }
    }
    if (id === ID.Call || id === ID.CallIndirect || id === ID.CallRef) return this.rewriteCall(e, id);
    if (id === ID.Return && this.exit) return this.mod.br(this.exit.label, 0, returnGetValue(e) || undefined);
    return e;
  }

  /** Sets the token right before control transfers: after the last child the call evaluates. */
  /**
   * Sets the token right before control transfers: after the last child the
   * call evaluates. A tail call also leaves this function, so with exit hooks
   * the exit hook runs there too, before the token is set (the hook calls
   * out, and whatever it runs would overwrite the token).
   */
  private rewriteCall(e: Ref, id: number): Ref {
    const mod = this.mod;
    const m = mod.ptr;
    const isTail = (id === ID.Call ? callIsReturn : id === ID.CallIndirect ? callIndirectIsReturn : callRefIsReturn)(e) !== 0;
    const exitHook = isTail && this.exit ? this.exit.hook : null;
    let callee: number | null = REF_TAG;
    if (id === ID.Call) {
      const target = callGetTarget(e);
      callee = this.noTokenPtrs.has(target) ? null : (this.ipOfName.get(target) ?? REF_TAG);
    }
    if (callee === null && !exitHook) return e;
    const slots = CHILD_SLOTS.get(id)!;
    // The last evaluated child: the target of an indirect call, else the last operand.
    let last: Ref = 0;
    let setLast: (v: Ref) => void = () => {};
    if (id === ID.Call) {
      const n = callGetNumOperands(e);
      if (n > 0) {
        last = callGetOperandAt(e, n - 1);
        setLast = (v) => void callSetOperandAt(e, n - 1, v);
      }
    } else {
      const target = slots[1]!;
      if (target.kind === 'fixed') {
        last = target.get(e);
        setLast = (v) => target.set(e, v);
      }
    }
    if (last && getType(last) === binaryen.unreachable) return e; // the call is never reached

    // token = callee << 32 | caller
    const constToken = (tag: number) => cGlobalSet(m, this.token, cI64(m, (BigInt(tag >>> 0) << 32n) | BigInt(this.ip)));
    // (global.set $token (i64.or (i64.shl (i64.extend_i32_u slot|base) 32) caller))
    const slotToken = (slot: Ref, base: number) =>
      cGlobalSet(
        m,
        this.token,
        mod.i64.or(mod.i64.shl(mod.i64.extend_u(mod.i32.or(slot, mod.i32.const(base | 0))), cI64(m, 32n)), cI64(m, BigInt(this.ip))),
      );
    /** what runs right before the transfer, given the last child's value */
    let before: (value: () => Ref) => Ref[];
    if (callee === null) {
      before = () => [];
    } else if (id === ID.CallIndirect) {
      // The slot is the call's last operand: name it in the token, so that a
      // token left behind by a call that never reached a traced prologue (an
      // import in the table, a trap) is taken only by that slot's function.
      const base = SLOT_TAG | (this.tableIndex(e) << 24);
      before = (slot) => [getId(last) === ID.Const ? constToken(base | (constI32(last) & 0xffffff)) : slotToken(slot(), base)];
    } else {
      const tag = callee;
      before = () => [constToken(tag)];
    }
    const pre = (value: () => Ref): Ref[] => [...(exitHook ? [exitHook()] : []), ...before(value)];
    if (callee !== null) this.callSites++;

    if (!last) {
      const type = isTail ? binaryen.unreachable : getType(e);
      return cBlockOf(m, type, [...pre(() => 0), e]);
    }
    const type = getType(last);
    const lastId = getId(last);
    if (TRIVIAL_KINDS.has(lastId) && (exitHook === null || lastId !== ID.GlobalGet)) {
      // Evaluating `last` cannot call, trap or branch (and, when an exit hook
      // runs first, cannot see a global the hook might change): do it all
      // just before it.
      setLast(cBlockOf(m, type, [...pre(() => mod.copyExpression(last)), last]));
      return e;
    }
    if (id !== ID.CallIndirect) {
      // The token only has to come after every call `last` makes; an exit
      // hook, after anything `last` reads that the hook's callbacks could
      // change. When `last` does neither, no scratch local is needed.
      const mask = exitHook ? EFFECTS_AFTER_EXIT_HOOK : EFFECTS_AFTER_TOKEN;
      if ((sideEffects(last, mod.ptr) & mask) === 0) {
        setLast(cBlockOf(m, type, [...pre(() => 0), last]));
        return e;
      }
    }
    const temp = this.temp(type);
    setLast(cBlockOf(m, temp.type, [cLocalSet(m, temp.index, last), ...pre(temp.get), temp.get()]));
    return e;
  }

  private tableIndex(callIndirect: Ref): number {
    return this.tables.get(callIndirectGetTable(callIndirect)) ?? 0;
  }

  /**
   * One scratch local per type and function is enough: each use is
   * `local.set t <x>; global.set token; local.get t` with nothing between the
   * set and the get that could reuse t.
   */
  private temp(type: number): { index: number; get: () => Ref; type: number } {
    const nullable = NUMERIC_TYPES.has(type) || typeIsNullable(type) ? type : typeFromHeapType(typeGetHeapType(type), 1);
    let index = this.temps.get(nullable);
    if (index === undefined) {
      index = functionAddVar(this.fnRef, nullable);
      this.temps.set(nullable, index);
    }
    const i = index;
    if (nullable === type || !this.gcOutput) {
      // Without GC in the output every reference type is written nullable:
      // a non-nullable type here is only binaryen's own refinement (a
      // ref.func it reads as (ref $t)), and ref.as_non_null would be an
      // opcode the engines the module targets may not have.
      return { index: i, get: () => this.mod.local.get(i, nullable), type: nullable };
    }
    return { index: i, get: () => this.mod.ref.as_non_null(this.mod.local.get(i, nullable)), type };
  }

  /**
   * A legacy `catch` body starts with a `pop`, which must stay the first thing
   * the catch evaluates and may not be buried in a block. Before rewriting the
   * body, move the pop into `local.set $t (pop)` at the head of the catch body.
   */
  private hoistPops(tryExpr: Ref): void {
    const tags = tryGetNumCatchTags(tryExpr);
    for (let i = 0; i < tags; i++) {
      const body = tryGetCatchBodyAt(tryExpr, i);
      const found = findFirstPop(body);
      if (!found) continue;
      const type = getType(found.pop);
      const local = functionAddVar(this.fnRef, type);
      const get = this.mod.local.get(local, type);
      let rest: Ref;
      if (found.replace) {
        found.replace(get);
        rest = body;
      } else {
        rest = get; // the body was the pop itself
      }
      trySetCatchBodyAt(tryExpr, i, this.mod.block(null, [this.mod.local.set(local, found.pop), rest], getType(body)));
    }
  }
}

/** The pop a catch body starts with, reached through first-evaluated children. */
function findFirstPop(body: Ref): { pop: Ref; replace?: (v: Ref) => void } | undefined {
  if (getId(body) === ID.Pop) return { pop: body };
  let node = body;
  for (let depth = 0; depth < 1000; depth++) {
    const slots = CHILD_SLOTS.get(getId(node));
    if (!slots || slots.length === 0) return undefined;
    const first = slots[0]!;
    let child: Ref;
    let replace: (v: Ref) => void;
    const parent = node;
    if (first.kind === 'fixed') {
      child = first.get(parent);
      replace = (v) => first.set(parent, v);
    } else {
      if (first.num(parent) === 0) return undefined;
      child = first.getAt(parent, 0);
      replace = (v) => first.setAt(parent, 0, v);
    }
    if (!child) return undefined;
    if (getId(child) === ID.Pop) return { pop: child, replace };
    node = child;
  }
  return undefined;
}

/** Static data of memory 0: active segments with constant offsets, extended to __data_end. */
function staticDataBounds(mod: Module, input: Uint8Array, sections: Section[]): StaticDataBounds | null {
  let start = Infinity;
  let end = -Infinity;
  const dataSection = findSection(sections, SectionId.data);
  if (dataSection) {
    for (const seg of parseActiveDataSegments(input, dataSection)) {
      if (seg.memory !== 0 || seg.offset === null) continue;
      start = Math.min(start, seg.offset);
      end = Math.max(end, seg.offset + seg.length);
    }
  }
  const dataEnd = dataEndValue(mod);
  if (dataEnd !== null) {
    if (start === Infinity) start = dataEnd;
    end = Math.max(end, dataEnd);
  }
  return start === Infinity ? null : { start, end };
}

/** The constant value of the module's `__data_end` global (by export or by name), if any. */
function dataEndValue(mod: Module): number | null {
  let globalRef = 0;
  for (let i = 0; i < mod.getNumExports(); i++) {
    const e = binaryen.getExportInfo(mod.getExportByIndex(i));
    if (e.kind === binaryen.ExternalGlobal && e.name === '__data_end') globalRef = mod.getGlobal(e.value);
  }
  if (!globalRef) {
    for (let i = 0; i < mod.getNumGlobals(); i++) {
      const g = mod.getGlobalByIndex(i);
      if (binaryen.getGlobalInfo(g).name === '__data_end') globalRef = g;
    }
  }
  if (!globalRef) return null;
  const info = binaryen.getGlobalInfo(globalRef);
  if (info.module || info.type !== binaryen.i32 || getId(info.init) !== ID.Const) return null;
  return (binaryen.getExpressionInfo(info.init) as { value?: number }).value ?? null;
}

/**
 * A module uses GC types when its type section has struct, array, rec or sub
 * entries, or typed/abstract GC references. When it does not, we write it with
 * GC disabled: binaryen otherwise emits GC-era encodings (`ref.null nofunc`)
 * that engines without GC, Node 20's among them, reject.
 */
function usesGC(input: Uint8Array, sections: Section[]): boolean {
  const typeSection = findSection(sections, SectionId.type);
  if (!typeSection) return false;
  const GC_BYTES = new Set([0x4e, 0x4f, 0x50, 0x5e, 0x5f, 0x63, 0x64, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x71, 0x72, 0x73]);
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
 * Rewrites the output's function names so that every function has one: the
 * input's explicit names plus the fallback names. Output indices: the input's
 * imports keep theirs, the pass's `added` imports follow, then the defined
 * functions, shifted by their number.
 */
function writeNames(binary: Uint8Array, names: string[], importCount: number, added: string[]): Uint8Array {
  const sections = readSections(binary);
  const existing = findCustomSection(sections, 'name');
  const subsections = existing ? parseNameSection(binary, existing).subsections.filter((s) => s.id !== 1) : [];
  const entries: [number, string][] = [];
  for (let i = 0; i < importCount; i++) entries.push([i, names[i]!]);
  added.forEach((name, k) => entries.push([importCount + k, name]));
  for (let i = importCount; i < names.length; i++) entries.push([i + added.length, names[i]!]);
  subsections.push({ id: 1, bytes: encodeFunctionNames(entries) });
  return setCustomSection(binary, 'name', encodeNameSection(subsections));
}
