/**
 * The one object every step of the pass reads and fills: what the module
 * scan found, the hooks the pass added, and what the steps report.
 */
import type { Module, FunctionInfo } from './binaryen.js';
import type { Ref } from './c-api.js';

/**
 * The callee half of a token (bits 63..32):
 *   ip                                    a direct call to function ip
 *   SLOT_TAG | table << 24 | slot        call_indirect through that table slot (computed at run time)
 *   REF_TAG                               call_ref: any function whose reference escapes may take it
 *   0xFFFFFFFF                            nobody (the initial and reset value)
 */
export const SLOT_TAG = 0x80000000;
export const REF_TAG = 0xfffffffe;
/** the block every return of a function with exit hooks branches to */
export const EXIT_LABEL = 'wasm-ftrace$exit';

/** What scanModule() finds; nothing in it changes the module. */
export interface ModuleScan {
  /** functions in the input's index space (binaryen's order), imports first */
  readonly functionCount: number;
  readonly importCount: number;
  readonly fnRefs: readonly Ref[];
  readonly infos: readonly FunctionInfo[];
  /** a display name per ip (FtraceMetadata.names) */
  readonly names: readonly string[];
  /** per ip: does it get mcount */
  readonly traced: readonly boolean[];
  /** interned name pointer of a traced function -> its ip (binaryen interns names: a call's target pointer is its function's) */
  readonly ipOfName: ReadonlyMap<number, number>;
  /** interned name pointers of functions that never read a token (imports, notrace): direct calls to them set none */
  readonly noTokenPtrs: ReadonlySet<number>;
  /** interned table name pointer -> table index */
  readonly tables: ReadonlyMap<number, number>;
  /** per ip: the tokens of the static table slots it sits in */
  readonly slotTags: readonly (readonly number[])[];
  /** ips whose reference escapes (ref.func, element segments without a constant offset); call-site rewriting adds the ref.func ones */
  readonly escapes: Set<number>;
  /** the output keeps the GC feature (see usesGC) */
  readonly gcOutput: boolean;
}

/** The globals and imports addHooks() put into the module. */
export interface Hooks {
  /** internal name of the caller token global and its interned pointer */
  readonly tokenName: string;
  readonly tokenPtr: number;
  /** internal names of the guard words, entry and exit (empty without exit hooks) */
  readonly guardNames: readonly string[];
  readonly exitGuardNames: readonly string[];
  readonly guardWords: number;
  /** what the prologue and the exit hook call: the mcount imports, or the in-wasm recorder's dispatch (trace memory) */
  readonly mcountName: string;
  readonly mcountExitName: string;
  /** the module has a trace memory and the in-wasm recorder */
  readonly traceMemory: boolean;
  /** (if (exit guard bit) (call $mcount_exit (i32 ip))) -> () */
  exitHook(ip: number): Ref;
}

export interface PassContext extends ModuleScan {
  readonly mod: Module;
  readonly exitHooks: boolean;
  readonly hooks: Hooks;
  /** things the user should know that did not stop instrumentation */
  readonly warnings: string[];
  /** call sites that set the token, functions given a prologue */
  readonly counts: { callSites: number; instrumented: number };
  /** expression kinds binaryen.js cannot walk -> the functions they appear in (calls inside report HOST) */
  readonly opaque: Map<string, Set<string>>;
  /** ...those that may return past the exit hook */
  readonly opaqueExits: Map<string, Set<string>>;
  /** ips of the functions with such calls (FtraceMetadata.opaqueCallers) */
  readonly opaqueCallers: Set<number>;
}
