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
 * mcount call sits behind a guard bit, bit ip%32 of guard global ip>>5,
 * written by the host through the exported `__ftrace_control` (the pass's
 * only export: no global is exported). Guards start set, so the output runs on any host
 * that supplies `ftrace.mcount`; a host clears the bits of functions no ops
 * wants, and those never leave wasm.
 *
 * The pass runs as small steps over one PassContext (context.ts):
 *   input.ts       framing, globs, binaryen's parse
 *   scan.ts        functions, display names, the traced set, table slots
 *   hooks.ts       the token global, guard words, the mcount imports
 *   call-sites.ts  every call that may reach a traced function sets the token
 *   prologue.ts    the guarded mcount call, and the exit epilogue
 *   emit.ts        the binary, its name section and the metadata section
 * c-api.ts holds the binaryen C API functions they call directly.
 */
import { METADATA_SECTION, WasmFormatError, findCustomSection, type FtraceMetadata, type Section } from '../abi/index.js';
import { opaqueWarnings, rewriteCallSites } from './call-sites.js';
import type { PassContext } from './context.js';
import { emitModule } from './emit.js';
import { coalesceGrownLocals } from './locals.js';
import { InstrumentError } from './errors.js';
import { addHooks } from './hooks.js';
import { captureBinaryenOutput } from './binaryen.js';
import { checkedSections, checkNotRepaired, compileGlobs, readModule } from './input.js';
import { declarativeAsPassive, passiveAsDeclarative } from './declarative-elems.js';
import { addPrologues } from './prologue.js';
import { inputSourceLines } from './debug-sections.js';
import { checkDeclaredCounts } from './sanity.js';
import { scanModule } from './scan.js';
import { parseNameSection } from './wasm-binary.js';

export { InstrumentError } from './errors.js';
export type { InstrumentErrorKind, InstrumentErrorFields } from './errors.js';

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
  /** the text of the source map the input's `sourceMappingURL` names: where it has no DWARF, its lines become the metadata's sourceLines */
  sourceMap?: string;
  /** the bytes of the split DWARF file the input's `external_debug_info` names: where the input has no DWARF of its own, its line table gives the lines */
  debugFile?: Uint8Array;
  /**
   * Give the module a trace memory (a second memory imported as
   * `ftrace.memory`) and the in-wasm recorder, so the direct case records
   * without leaving wasm (src/abi/trace-memory.ts). The output needs an
   * engine with multi-memory (Node >= 22, current browsers).
   */
  traceMemory?: boolean;
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
  /** backed by a plain ArrayBuffer, so it is a BufferSource for WebAssembly.compile/Module */
  binary: Uint8Array<ArrayBuffer>;
  metadata: FtraceMetadata;
  stats: InstrumentStats;
  /** things the user should know that did not stop instrumentation */
  warnings: string[];
  /**
   * The input's `.debug_*`, `sourceMappingURL` and `external_debug_info`
   * sections, which `binary` does not have: instrumentation moves the code
   * they point into (see debug-sections.ts). Each function's file:line is
   * kept in metadata.sourceLines. Absent when the input had none.
   */
  droppedDebugInfo?: string[];
}

export function instrument(original: Uint8Array, options: InstrumentOptions = {}): InstrumentResult {
  const sections = checkedSections(original);
  if (findCustomSection(sections, METADATA_SECTION)) {
    throw new InstrumentError('module is already instrumented by wasm-ftrace (it has a wasm-ftrace section)', { kind: 'already-instrumented' });
  }
  checkDeclaredCounts(original, sections);
  // binaryen misnumbers the segments after a declarative one: it gets them as passive (same layout), the output has them back
  const declarative = declarativeAsPassive(original, sections);
  if (!declarative) return instrumentNamed(original, sections, options);
  const result = instrumentNamed(declarative.input, sections, options);
  result.binary = passiveAsDeclarative(result.binary, declarative.segments);
  return result;
}

function instrumentNamed(input: Uint8Array, sections: Section[], options: InstrumentOptions): InstrumentResult {
  // Engines ignore a damaged name section; so do we: a module the engine
  // accepts is instrumented without its names, with a warning.
  const names = findCustomSection(sections, 'name');
  if (names === undefined || !WebAssembly.validate(input as Uint8Array<ArrayBuffer>)) return instrumentSections(input, sections, options);
  let damage: string;
  try {
    return instrumentSections(input, sections, options);
  } catch (e) {
    if (!(e instanceof InstrumentError || e instanceof WasmFormatError) || (e instanceof InstrumentError && e.kind !== 'invalid')) throw e;
    damage = e.message.replace(/^invalid module: /, '');
  }
  const stripped = new Uint8Array(input.length - (names.end - names.start));
  stripped.set(input.subarray(0, names.start));
  stripped.set(input.subarray(names.end), names.start);
  const result = instrumentSections(stripped, checkedSections(stripped), options);
  result.warnings.unshift(`the module's name section is damaged (${damage}): instrumented without its names`);
  return result;
}

function instrumentSections(input: Uint8Array, sections: Section[], options: InstrumentOptions): InstrumentResult {
  const only = compileGlobs(options.only ?? [], '--only');
  const notrace = compileGlobs(options.notrace ?? [], '--notrace');
  const nameSection = findCustomSection(sections, 'name');
  const inputNames = nameSection ? parseNameSection(input, nameSection) : undefined;

  const engineAccepts = WebAssembly.validate(input as Uint8Array<ArrayBuffer>);
  const mod = readModule(input, engineAccepts);
  try {
    const warnings: string[] = [];
    return binaryenStep(() => {
      const exitHooks = options.exitHooks === true;
      const scan = scanModule(mod, input, sections, { explicitNames: inputNames?.functionNames, only, notrace });
      coalesceGrownLocals(mod, input, sections, scan.importCount, scan.fnRefs);
      const ctx: PassContext = {
        ...scan,
        mod,
        exitHooks,
        hooks: addHooks(mod, scan, exitHooks, options.traceMemory === true),
        warnings,
        counts: { callSites: 0, instrumented: 0 },
        opaque: new Map(),
        opaqueExits: new Map(),
        opaqueCallers: new Set(),
      };
      rewriteCallSites(ctx);
      addPrologues(ctx);
      warnings.push(...opaqueWarnings(ctx));
      const sourceLines = inputSourceLines(input, sections, options, warnings);
      const { binary, metadata, droppedDebugInfo } = emitModule(ctx, input, sections, inputNames?.moduleName, sourceLines);
      checkNotRepaired(input, engineAccepts, binary);
      const { functionCount, importCount, counts } = ctx;
      return {
        binary,
        metadata,
        warnings,
        ...(droppedDebugInfo.length > 0 ? { droppedDebugInfo } : {}),
        stats: { functions: functionCount, imports: importCount, instrumented: counts.instrumented, skipped: functionCount - importCount - counts.instrumented, callSites: counts.callSites },
      };
    });
  } finally {
    mod.dispose();
  }
}

/**
 * binaryen reports what it cannot do by throwing C++ exceptions (objects
 * that are not Errors, printed as "[object Object]") or by aborting (a
 * RuntimeError), after printing the reason. Either becomes one InstrumentError
 * line with what binaryen printed; our own Errors pass through.
 */
function binaryenStep<T>(fn: () => T): T {
  const r = captureBinaryenOutput(fn);
  if (!('error' in r)) return r.result as T;
  if (r.error instanceof Error && !(r.error instanceof WebAssembly.RuntimeError)) throw r.error;
  throw InstrumentError.fromBinaryen(r.error, r.output);
}
