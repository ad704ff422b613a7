/**
 * Differential execution of one module: the original against its
 * instrumented versions, on the same engine.
 *
 * Both get the imports binaryen's own JS fuzz harness gives `-ttf` modules
 * (binaryen scripts/fuzz_shell.js, version_132), implemented deterministically:
 * loggers append to a transcript, and imports that call exports call the
 * exports of the *same* instance. The instrumented one also gets
 * `ftrace.mcount` (and `ftrace.mcount_exit` when built with exit hooks),
 * counters that check their arguments: ip a defined function, parent_ip one
 * too or HOST (-1), and exits that close the innermost open entry. Then every
 * export is visited in export order (functions are called with zero/null
 * arguments, globals are read), and at the end the exported memories, tables
 * and globals are snapshotted. With the guards on, the trace oracle checks
 * every hook call against the engine's own stack (RunOptions.oracle): the
 * transcripts alone cannot see a pass that names the wrong function or
 * caller, or skips prologues. The transcripts must be identical, for:
 *   - the plain pass, guards on (every mcount fires),
 *   - the plain pass, every guard cleared after instantiation (no mcount may fire),
 *   - the pass with exit hooks, guards on.
 *
 * Runaway code: `-ttf` modules carry a hang limit (a global decremented on
 * every function entry and loop back-edge that traps when it reaches zero), so
 * every call terminates. Stack exhaustion ("Maximum call stack size exceeded")
 * depends on frame sizes, which instrumentation changes: after one, the rest of
 * the module is not compared ("host limit").
 *
 * Value formatting: floats bit-exactly except NaN payloads (wasm leaves the
 * payload of an arithmetic NaN nondeterministic; binaryen's harness prints
 * NaN too), i64 as BigInt, references by kind (funcrefs by function index in
 * the *input* module, externrefs by payload).
 */

/** An exported function's signature in wasm value types: 'i32', 'i64', 'f32', 'f64', 'v128', 'funcref', 'externref', or 'other'. */
export interface Signature {
  params: string[];
  results: string[];
}

export interface ModuleShape {
  /** imported functions (ip of the first defined function) */
  funcImports: number;
  /** signature of every function, imports first */
  funcSigs: Signature[];
  /** import descriptors: kind is 'function' | 'table' | 'memory' | 'global' | 'tag' */
  imports: { module: string; name: string; kind: string; type?: string }[];
  /** exported function name -> function index */
  exportedFuncs: Map<string, number>;
}

/** One step of a run and what it did. */
export interface Step {
  what: string;
  /** 'ok <value>' or 'throw <Error kind>: <message>' */
  outcome: string;
  /** what the imports logged during the step */
  log: string[];
}

export interface RunOutcome {
  /** the module compiled on this engine */
  compiled: boolean;
  /** the instance was created (start function included) */
  instantiated: boolean;
  /** compile or instantiation error, when either failed */
  error?: string;
  steps: Step[];
  /** exported functions called from the top level */
  calls: number;
  /** exports not called because their signature cannot cross the JS boundary */
  uncallable: number;
  /** a step hit a host limit (stack overflow); steps after it were not run */
  hostLimit: boolean;
  /** mcount calls, and any argument that is not a valid (ip, parent_ip) */
  mcount: number;
  /** mcount calls made while instantiating (the start function), before the guards could be cleared */
  mcountAtStart: number;
  /** mcount_exit calls (exit hooks) */
  mcountExit: number;
  /** hook calls that break the rules: ip/parent_ip out of range, exits that do not nest */
  mcountErrors: string[];
  /** oracle: entries after a tail call, whose function parent is not checked (the engine no longer shows the caller) */
  tailCallParents: number;
  /**
   * oracle: entries from JS that name as parent the function whose indirect
   * call trapped in the step before (README, What the pass does: the trap left that
   * call's caller token, which a function callable through a table takes)
   */
  staleAfterTrap: number;
}

export interface RunOptions {
  /** supply ftrace.mcount (the instrumented module) */
  instrumented?: boolean;
  /** ip count of the original, to check mcount arguments */
  functionCount?: number;
  /** function imports the instrumented module adds after the original's (default 1: mcount) */
  addedImports?: number;
  /** clear every `__ftrace_*guard_N` right after instantiation (tracing off, as a host with no ops does) */
  guardsOff?: boolean;
  /**
   * supply ftrace.mcount_exit too, and check that entries and exits nest: a
   * shadow stack of open functions, unwound where a trap or exception is
   * caught (the top level, the *-catch imports)
   */
  exitHooks?: boolean;
  /**
   * The trace oracle: check every hook call against the engine's own call
   * stack (V8 names wasm frames `wasm-function[N]`), a second mechanism that
   * does not depend on the pass. mcount(ip, parent): the innermost wasm frame
   * is function ip, and parent is the frame right below it (HOST when a JS
   * frame is between, or none is). With exit hooks, the open entries are
   * exactly the wasm frames on the stack, and mcount_exit(ip) runs in ip.
   * `tailCalls`: the module has return_call*, after which the engine's stack
   * no longer holds the caller the pass reports: a function parent is then
   * not checked (a HOST parent still must have JS or nothing below it).
   * One other mismatch is the pass's known limit, allowed exactly: after a
   * step trapped in an indirect call (null slot, wrong signature, index out
   * of bounds), the first entry from JS may name the trapping function.
   * Every other mismatch fails.
   */
  oracle?: { tailCalls: boolean };
  /** a deliberately broken pass, emulated at the hook (what the oracle must catch; see test/fuzz.test.ts) */
  mutation?: PassMutation;
  /**
   * A host that supplies the `ftrace` imports itself (a TraceArray, see
   * in-wasm.ts) instead of the harness's checking counters: it wraps the
   * import object, is told the instance (inside the instantiate step, as
   * TraceArray.instantiate attaches), and hears of every step before it runs.
   */
  host?: {
    imports(imports: WebAssembly.Imports, module: WebAssembly.Module): WebAssembly.Imports;
    attach(instance: WebAssembly.Instance): void;
    beforeStep?(index: number, what: string): void;
  };
}

/**
 * The pass mutations the differential check alone cannot see: every parent
 * reported as HOST, no prologue in every other function (their entries and
 * exits never reach the host), the wrong function named in every event, and
 * every entry from JS claiming the function entered last as its caller (a
 * stale caller token; an oracle that counted such parents instead of
 * failing them let this one through).
 */
export type PassMutation = 'parent-host' | 'drop-odd-prologues' | 'wrong-ip' | 'stale-caller';

/**
 * Opcodes of the indirect calls (call_indirect, return_call_indirect, call_ref,
 * return_call_ref). A trap whose innermost wasm frame stands on one of them
 * trapped in the call itself (null slot or reference, wrong signature, index
 * out of bounds): the call's caller token was set, its callee never ran.
 * Recognised by position, not by message: the messages differ by engine.
 * Node 20-24 (V8 11-13) say "null function or function signature mismatch"
 * for a null slot and a wrong signature alike; Node 26 (V8 14) says
 * "function signature mismatch" for both in a funcref table and has a
 * separate "null function"; "table index is out of bounds" and call_ref's
 * "dereferencing a null pointer" are unchanged. Matching the Node 22 text
 * made the oracle fail the pass's stated limit on Node 26 (5 of seeds 1-400).
 */
const INDIRECT_CALL_OPCODES = new Set([0x11, 0x13, 0x14, 0x15]);

/**
 * The function (engine index) whose indirect call raised this trap, when the
 * trap's innermost wasm frame (V8: `wasm-function[N]:0xOFFSET`, the offset of
 * the trapping instruction in the module's bytes) is an indirect call.
 */
export function indirectCallTrapSite(e: unknown, bytes: Uint8Array): number | undefined {
  if (!(e instanceof WebAssembly.RuntimeError)) return undefined;
  const at = /wasm-function\[(\d+)\]:0x([0-9a-f]+)/.exec(e.stack ?? '');
  if (!at) return undefined;
  return INDIRECT_CALL_OPCODES.has(bytes[parseInt(at[2]!, 16)]!) ? Number(at[1]) : undefined;
}

/** Wasm function indices on the current stack, innermost first, with -1 for each run of JS frames between them. */
function stackFrames(depth = Infinity): number[] {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = depth;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  const out: number[] = [];
  for (const line of stack.split('\n').slice(1)) {
    const m = /wasm-function\[(\d+)\]/.exec(line);
    if (m) out.push(Number(m[1]));
    else if (out.length > 0 && out[out.length - 1] !== -1) out.push(-1);
  }
  return out;
}

const VALTYPES: Record<number, string> = {
  0x7f: 'i32',
  0x7e: 'i64',
  0x7d: 'f32',
  0x7c: 'f64',
  0x7b: 'v128',
  0x70: 'funcref',
  0x6f: 'externref',
};

class Reader {
  pos: number;
  constructor(
    private readonly b: Uint8Array,
    pos = 0,
  ) {
    this.pos = pos;
  }
  u8(): number {
    if (this.pos >= this.b.length) throw new Error('unexpected end');
    return this.b[this.pos++]!;
  }
  leb(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      const byte = this.u8();
      result += (byte & 0x7f) * mul;
      mul *= 128;
      if (!(byte & 0x80)) return result;
    }
  }
  name(): string {
    const n = this.leb();
    const s = new TextDecoder().decode(this.b.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
  valtype(): string {
    const t = this.u8();
    const known = VALTYPES[t];
    if (known) return known;
    if (t === 0x63 || t === 0x64) this.leb(); // (ref null? ht): heap type, an s33 we need not decode exactly
    return 'other';
  }
  limits(): void {
    const flags = this.u8();
    this.leb();
    if (flags & 1) this.leb();
  }
}

/** Reads what the harness needs from a module: signatures, imports, exported functions. */
export function parseShape(bytes: Uint8Array): ModuleShape {
  const r = new Reader(bytes, 8);
  const types: Signature[] = [];
  const funcSigs: Signature[] = [];
  const imports: ModuleShape['imports'] = [];
  const exportedFuncs = new Map<string, number>();
  let funcImports = 0;
  while (r.pos < bytes.length) {
    const id = r.u8();
    const size = r.leb();
    const end = r.pos + size;
    const s = new Reader(bytes, r.pos);
    if (id === 1) {
      for (let n = s.leb(), i = 0; i < n; i++) {
        const form = s.u8();
        if (form !== 0x60) throw new Error(`type form 0x${form.toString(16)} not supported by the fuzz harness`);
        const params = Array.from({ length: s.leb() }, () => s.valtype());
        const results = Array.from({ length: s.leb() }, () => s.valtype());
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = s.leb(), i = 0; i < n; i++) {
        const module = s.name();
        const name = s.name();
        const kind = s.u8();
        if (kind === 0) {
          funcSigs.push(types[s.leb()]!);
          funcImports++;
          imports.push({ module, name, kind: 'function' });
        } else if (kind === 1) {
          const type = s.valtype();
          s.limits();
          imports.push({ module, name, kind: 'table', type });
        } else if (kind === 2) {
          s.limits();
          imports.push({ module, name, kind: 'memory' });
        } else if (kind === 3) {
          const type = s.valtype();
          s.u8();
          imports.push({ module, name, kind: 'global', type });
        } else if (kind === 4) {
          s.u8();
          s.leb();
          imports.push({ module, name, kind: 'tag' });
        } else {
          throw new Error(`import kind 0x${kind.toString(16)} not supported by the fuzz harness`);
        }
      }
    } else if (id === 3) {
      for (let n = s.leb(), i = 0; i < n; i++) funcSigs.push(types[s.leb()]!);
    } else if (id === 7) {
      for (let n = s.leb(), i = 0; i < n; i++) {
        const name = s.name();
        const kind = s.u8();
        const index = s.leb();
        if (kind === 0) exportedFuncs.set(name, index);
      }
    }
    r.pos = end;
  }
  return { funcImports, funcSigs, imports, exportedFuncs };
}

/** Exception handling's JS API (Node 20 has it; TypeScript's lib does not declare it). */
const WasmEH = WebAssembly as unknown as {
  Tag: new (type: { parameters: string[] }) => object;
  Exception: new (tag: object, payload: unknown[]) => Error;
};

const JS_TYPES = new Set(['i32', 'i64', 'f32', 'f64', 'funcref', 'externref']);

/** Whether JS can call a function of this signature on Node 20 (no v128, no typed references). */
export function callableFromJS(sig: Signature): boolean {
  return sig.params.every((t) => JS_TYPES.has(t)) && sig.results.every((t) => JS_TYPES.has(t));
}

function defaultArg(t: string): unknown {
  if (t === 'i64') return 0n;
  if (t === 'i32' || t === 'f32' || t === 'f64') return 0;
  return null;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Deterministic text for a value that crossed the JS boundary. */
function formatValue(x: unknown, fnName: (f: Function) => string): string {
  if (x === undefined) return 'undefined';
  if (x === null) return 'null';
  if (typeof x === 'number') {
    if (Number.isNaN(x)) return 'NaN';
    if (Object.is(x, -0)) return '-0';
    f64[0] = x;
    return `${x}(${u32[1]!.toString(16)}:${u32[0]!.toString(16)})`;
  }
  if (typeof x === 'bigint') return `${x}n`;
  if (typeof x === 'string') return JSON.stringify(x);
  if (typeof x === 'boolean') return String(x);
  if (typeof x === 'function') return `function ${fnName(x)}`;
  if (Array.isArray(x)) return `[${x.map((v) => formatValue(v, fnName)).join(', ')}]`;
  if (typeof x === 'object') {
    if (Object.hasOwn(x, 'payload')) return `externref(${(x as { payload: unknown }).payload})`;
    if (x instanceof Error) return `jserror`;
    return 'object';
  }
  return typeof x;
}

function formatError(e: unknown, fnName: (f: Function) => string): string {
  if (e instanceof WasmEH.Exception) return `WebAssembly.Exception`;
  if (e instanceof Error) return `${e.constructor.name}: ${e.message}`;
  return `non-error ${formatValue(e, fnName)}`;
}

function isHostLimit(e: unknown): boolean {
  const text = String(e);
  return ['Maximum call stack size exceeded', 'out of memory', 'requested new array is too large'].some((h) => text.includes(h));
}

class HostLimit extends Error {}

/** FNV-1a over a byte range, as hex. */
function hashBytes(b: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return (h >>> 0).toString(16);
}

/**
 * Runs one module the way binaryen's fuzz_shell.js does and returns its
 * transcript. `shape` is parsed from the *original* module; exports whose name
 * starts with `__ftrace_` are ignored.
 */
export function runModule(bytes: Uint8Array, shape: ModuleShape, options: RunOptions = {}): RunOutcome {
  const out: RunOutcome = { compiled: false, instantiated: false, steps: [], calls: 0, uncallable: 0, hostLimit: false, mcount: 0, mcountAtStart: 0, mcountExit: 0, mcountErrors: [], tailCallParents: 0, staleAfterTrap: 0 };
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    out.error = formatError(e, () => '?');
    return out;
  }
  out.compiled = true;

  // Funcrefs print as the function's index in the *original* module. A wasm
  // function's JS wrapper is named by its index in its own module: the
  // instrumented module has its hook imports right after the original's
  // function imports, which shifts every defined function by their number.
  const shift = options.instrumented ? (options.addedImports ?? 1) : 0;
  const fnName = (f: Function): string => {
    if (/^\d+$/.test(f.name)) {
      const i = Number(f.name);
      return `$${i >= shape.funcImports + shift ? i - shift : i}`;
    }
    return `js:${f.name}`;
  };

  let log: string[] = [];
  const logValue = (x: unknown): void => void log.push(formatValue(x, fnName));
  const logRef = (x: unknown): void => {
    JSON.stringify(x);
    logValue(x);
  };

  const exportList: { name: string; value: unknown }[] = [];
  const exportsByName = new Map<string, unknown>();
  const tag = new WasmEH.Tag({ parameters: ['i32'] });
  let tempRet0: unknown = 0;

  // Arguments for a call from JS: zero/null of each parameter's type when the
  // signature is known (exports, funcrefs to the module's functions), else
  // fuzz_shell's `null` per declared parameter.
  const argsFor = (f: Function): unknown[] => {
    const sig = sigOf(f);
    if (sig) return sig.params.map(defaultArg);
    return Array.from({ length: f.length }, () => null);
  };
  const sigOf = (f: Function): Signature | undefined => {
    if (!/^\d+$/.test(f.name)) return undefined;
    const i = Number(f.name);
    return shape.funcSigs[i >= shape.funcImports + shift ? i - shift : i];
  };
  const callFunc = (f: unknown): unknown => {
    if (typeof f !== 'function') throw new TypeError('not a function');
    return (f as (...a: unknown[]) => unknown)(...argsFor(f));
  };
  // Functions entered and not yet exited (exit hooks only).
  const open: number[] = [];
  // oracle: the function whose indirect call trapped in the last step, until the next entry
  let trappedCaller: number | undefined;
  const inputIndex = (index: number): number => (index >= shape.funcImports + shift ? index - shift : index);
  const hookError = (msg: string): void => {
    if (out.mcountErrors.length < 5) out.mcountErrors.push(msg);
  };
  // fuzz_shell's tryCall: traps and host limits propagate, other exceptions are caught.
  const tryCall = (fn: () => unknown): number => {
    const depth = open.length;
    try {
      fn();
      return 0;
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError || isHostLimit(e)) throw e;
      open.length = depth; // the frames the exception unwound never ran their exit hooks
      return 1;
    }
  };
  const exportAt = (index: number): unknown => {
    const e = exportList[index >>> 0];
    if (!e) throw new TypeError(`no export #${index >>> 0}`);
    return e.value;
  };
  const table = (): WebAssembly.Table => {
    const t = exportsByName.get('table');
    if (!(t instanceof WebAssembly.Table)) throw new TypeError('no exported table');
    return t;
  };

  const support: Record<string, unknown> = {
    'log-i32': logValue,
    'log-i64': logValue,
    'log-f32': logValue,
    'log-f64': logValue,
    'log-v128': logValue,
    'log-anyref': logRef,
    'log-funcref': logRef,
    'log-contref': logRef,
    'log-externref': logRef,
    throw: (which: number) => {
      if (!which) throw new Error('js exception');
      throw new WasmEH.Exception(tag, [which]);
    },
    'table-get': (index: number) => table().get(index >>> 0),
    'table-set': (index: number, value: unknown) => table().set(index >>> 0, value),
    'call-export': (index: number, _flags: number) => {
      // With or without the rethrow flag, exceptions propagate.
      callFunc(exportAt(index));
    },
    'call-export-catch': (index: number) => tryCall(() => callFunc(exportAt(index))),
    'call-ref': (ref: unknown, _flags: number) => {
      callFunc(ref);
    },
    'call-ref-catch': (ref: unknown) => tryCall(() => callFunc(ref)),
    sleep: (_ms: number, id: number) => id,
    'log-branch': (actual: number, expected: number, id: number) => {
      log.push(`log-branch ${actual} ${expected} ${id}`);
      return actual;
    },
    wasmtag: tag,
  };
  const imports: Record<string, Record<string, unknown>> = {
    'fuzzing-support': support,
    env: {
      setTempRet0: (x: unknown) => void (tempRet0 = x),
      getTempRet0: () => tempRet0,
    },
  };
  for (const imp of shape.imports) {
    if (imp.kind !== 'global') continue;
    // fuzz_shell's externref globals: an object whose payload derives from the names.
    let payload = 0;
    for (const s of [imp.module, imp.name]) for (const c of s) payload = (payload + c.charCodeAt(0)) % 251;
    const value = imp.type === 'externref' ? { payload } : imp.type === 'i64' ? BigInt(payload) : imp.type === 'funcref' ? null : payload;
    (imports[imp.module] ??= {})[imp.name] ??= value;
  }
  if (options.instrumented && !options.host) {
    const n = options.functionCount ?? Infinity;
    // The engine's index of a defined function is the input's plus the hook imports.
    const inputIp = inputIndex;
    const oracle = options.oracle;
    const mutation = options.mutation;
    const checkEntry = (ip: number, parent: number): void => {
      if (!oracle) return;
      // the first prologue after a trap takes (and resets) whatever token the trap left
      const trapped = trappedCaller;
      trappedCaller = undefined;
      // the whole stack only to compare it with the open entries; else the hook's frames, the callee and its caller
      const frames = stackFrames(options.exitHooks ? Infinity : 8);
      const here = frames[0];
      if (here === undefined || here < 0 || inputIp(here) !== ip) return hookError(`oracle: mcount(${ip}, ${parent}) while the engine runs ${here === undefined || here < 0 ? 'no wasm' : `function ${inputIp(here)}`}`);
      const below = frames[1];
      const expected = below === undefined || below < 0 ? -1 : inputIp(below);
      if (parent !== expected) {
        // After a tail call the engine shows the caller's caller: a function parent is not checked then.
        if (parent !== -1 && oracle.tailCalls) out.tailCallParents++;
        // An indirect call that trapped before its callee ran left its token (callee: any slot),
        // and this function, callable through a table, took it: the limit README states.
        else if (parent !== -1 && expected === -1 && parent === trapped) out.staleAfterTrap++;
        else return hookError(`oracle: mcount(${ip}, ${parent}) called from ${expected === -1 ? 'HOST' : expected}`);
      }
      if (options.exitHooks) {
        const onStack = frames.filter((f) => f >= 0).map(inputIp).reverse(); // outermost first, ip's own frame last
        const open_ = [...open, ip];
        if (onStack.join(' ') !== open_.join(' ')) hookError(`oracle: at mcount(${ip}) the engine's wasm frames are [${onStack.join(' ')}], the open entries [${open_.join(' ')}]`);
      }
    };
    let lastEntered = -1;
    const ftrace: Record<string, unknown> = {
      mcount: (ip: number, parent: number) => {
        if (mutation === 'parent-host') parent = -1;
        else if (mutation === 'stale-caller' && parent === -1) parent = lastEntered;
        else if (mutation === 'wrong-ip') ip = ip + 1 < n ? ip + 1 : shape.funcImports;
        else if (mutation === 'drop-odd-prologues' && ip % 2 === 1) return;
        checkEntry(ip, parent);
        lastEntered = ip;
        out.mcount++;
        if (!(ip >= shape.funcImports && ip < n)) hookError(`mcount(${ip}, ${parent}): ip is not a defined function`);
        else if (!(parent === -1 || (parent >= shape.funcImports && parent < n))) hookError(`mcount(${ip}, ${parent}): bad parent_ip`);
        if (options.exitHooks) open.push(ip);
      },
    };
    if (options.exitHooks) {
      ftrace['mcount_exit'] = (ip: number) => {
        if (mutation === 'wrong-ip') ip = ip + 1 < n ? ip + 1 : shape.funcImports;
        else if (mutation === 'drop-odd-prologues' && ip % 2 === 1) return;
        if (oracle) {
          const here = stackFrames()[0];
          if (here === undefined || here < 0 || inputIp(here) !== ip) hookError(`oracle: mcount_exit(${ip}) while the engine runs ${here === undefined || here < 0 ? 'no wasm' : `function ${inputIp(here)}`}`);
        }
        out.mcountExit++;
        const top = open.pop();
        if (top !== ip) {
          hookError(`mcount_exit(${ip}) while the innermost open function is ${top ?? 'none'} (open: ${[...open, top].join(' ')})`);
          if (top !== undefined) open.push(top);
        }
      };
    }
    imports['ftrace'] = ftrace;
  }

  const step = (what: string, fn: () => unknown): void => {
    options.host?.beforeStep?.(out.steps.length, what);
    log = [];
    open.length = 0;
    let outcome: string;
    try {
      outcome = `ok ${formatValue(fn(), fnName)}`;
      if (open.length > 0) hookError(`${what} returned with functions never exited: ${open.join(' ')}`);
    } catch (e) {
      if (isHostLimit(e)) {
        out.hostLimit = true;
        out.steps.push({ what, outcome: 'host limit', log });
        throw new HostLimit();
      }
      outcome = `throw ${formatError(e, fnName)}`;
      const site = indirectCallTrapSite(e, bytes);
      if (site !== undefined) trappedCaller = inputIndex(site);
    }
    out.steps.push({ what, outcome, log });
  };

  let instance: WebAssembly.Instance | undefined;
  try {
    step('instantiate', () => {
      const host = options.host;
      instance = new WebAssembly.Instance(module, host ? host.imports(imports as WebAssembly.Imports, module) : (imports as WebAssembly.Imports));
      host?.attach(instance);
    });
  } catch {
    out.mcountAtStart = out.mcount;
    return out; // host limit in the start function
  }
  out.mcountAtStart = out.mcount;
  if (!instance) {
    out.error = out.steps[0]!.outcome;
    return out;
  }
  out.instantiated = true;
  if (options.guardsOff) {
    for (const e of WebAssembly.Module.exports(module)) {
      const g = instance.exports[e.name];
      if (/^__ftrace_(\w+_)?guard_\d+$/.test(e.name) && g instanceof WebAssembly.Global) g.value = typeof g.value === 'bigint' ? 0n : 0;
      // the pass's one export writes guard words: entry words, then exit words
      if (e.name === '__ftrace_control' && typeof g === 'function') {
        const words = Math.ceil((options.functionCount ?? 0) / 32);
        for (let w = 0; w < 2 * words; w++) (g as (w: number, v: number) => void)(w, 0);
      }
    }
  }

  const wasmExports = WebAssembly.Module.exports(module).filter((e) => !e.name.startsWith('__ftrace_'));
  for (const e of wasmExports) {
    const value = instance.exports[e.name];
    exportList.push({ name: e.name, value });
    exportsByName.set(e.name, value);
  }

  try {
    for (const { name, value } of exportList) {
      if (value instanceof WebAssembly.Global) {
        step(`global ${name}`, () => {
          try {
            return value.value;
          } catch {
            return '<illegal value>';
          }
        });
      } else if (typeof value === 'function') {
        const index = shape.exportedFuncs.get(name);
        const sig = index === undefined ? undefined : shape.funcSigs[index];
        if (!sig || !callableFromJS(sig)) {
          out.uncallable++;
          continue;
        }
        out.calls++;
        step(`call ${name}`, () => (value as (...a: unknown[]) => unknown)(...sig.params.map(defaultArg)));
      }
    }
    // The state the calls left behind.
    for (const { name, value } of exportList) {
      if (value instanceof WebAssembly.Memory) {
        step(`memory ${name}`, () => `${value.buffer.byteLength} bytes, fnv ${hashBytes(new Uint8Array(value.buffer))}`);
      } else if (value instanceof WebAssembly.Table) {
        step(`table ${name}`, () => {
          const entries: unknown[] = [];
          for (let i = 0; i < value.length; i++) entries.push(value.get(i));
          return entries;
        });
      } else if (value instanceof WebAssembly.Global) {
        step(`final global ${name}`, () => {
          try {
            return value.value;
          } catch {
            return '<illegal value>';
          }
        });
      }
    }
  } catch (e) {
    if (!(e instanceof HostLimit)) throw e;
  }
  return out;
}

/** The first difference between two transcripts, or undefined when they agree. Steps from a host limit on are not compared. */
export function firstDifference(a: RunOutcome, b: RunOutcome): string | undefined {
  const limitAt = (r: RunOutcome): number => {
    const i = r.steps.findIndex((s) => s.outcome === 'host limit');
    return i < 0 ? Infinity : i;
  };
  const cut = Math.min(limitAt(a), limitAt(b));
  const n = Math.min(cut, Math.max(a.steps.length, b.steps.length));
  for (let i = 0; i < n; i++) {
    const x = a.steps[i];
    const y = b.steps[i];
    if (!x || !y) {
      return `step ${i}: ${x ? `original ran '${x.what}', instrumented stopped` : `instrumented ran '${y!.what}', original stopped`}`;
    }
    if (x.what !== y.what) return `step ${i}: original '${x.what}', instrumented '${y.what}'`;
    if (x.outcome !== y.outcome) return `${x.what}: original ${x.outcome}, instrumented ${y.outcome}`;
    const m = Math.max(x.log.length, y.log.length);
    for (let j = 0; j < m; j++) {
      if (x.log[j] !== y.log[j]) {
        return `${x.what}: log entry ${j}: original ${x.log[j] ?? '(none)'}, instrumented ${y.log[j] ?? '(none)'}`;
      }
    }
  }
  return undefined;
}

export type Verdict =
  /** the original does not run on this engine, or the harness cannot read it: nothing to compare */
  | { status: 'skip'; reason: string }
  /** the transcripts agree (up to a host limit, if `hostLimit`) */
  | { status: 'agree'; calls: number; uncallable: number; mcount: number; mcountExit: number; hostLimit: boolean; instantiated: boolean; staleAfterTrap: number; tailCallParents: number }
  | { status: 'disagree'; reason: string };

export interface InstrumentVariant {
  /** instrument with exit hooks (function_graph's mcount_exit) */
  exitHooks?: boolean;
}

export type InstrumentFn = (bytes: Uint8Array, variant: InstrumentVariant) => { binary: Uint8Array; metadata: { functionCount: number } };

/**
 * Runs the original; instruments it as each variant says and runs that with
 * the guards on, then (first variant only) with the guards cleared; compares
 * every run with the original.
 */
export interface CheckOptions {
  /** whether the module has return_call* (the oracle then checks no parents; see RunOptions.oracle) */
  tailCalls?: (bytes: Uint8Array) => boolean;
  /** run a deliberately broken pass (the oracle must disagree) */
  mutation?: PassMutation;
  /** false: the differential check alone, as before the oracle */
  oracle?: boolean;
}

/**
 * Parses and runs the original: its shape and transcript, whether it failed
 * to link, or a skip verdict when there is nothing to compare.
 */
export function runOriginal(bytes: Uint8Array): { shape: ModuleShape; original: RunOutcome; linkError: boolean } | { status: 'skip'; reason: string } {
  let shape: ModuleShape;
  try {
    shape = parseShape(bytes);
  } catch (e) {
    return { status: 'skip', reason: `harness cannot parse: ${(e as Error).message}` };
  }
  const original = runModule(bytes, shape);
  if (!original.compiled) return { status: 'skip', reason: `does not compile on this engine: ${original.error}` };
  // A start function that traps or throws is behaviour to compare; a link
  // error means the harness does not provide what the module imports.
  const linkError = !original.instantiated && /^throw (LinkError|CompileError)/.test(original.error ?? '');
  return { shape, original, linkError };
}

export function checkModule(bytes: Uint8Array, instrument: InstrumentFn, variants: InstrumentVariant[] = [{}], check: CheckOptions = {}): Verdict {
  const ran = runOriginal(bytes);
  if ('status' in ran) return ran;
  const { shape, original, linkError } = ran;

  let mcount = 0;
  let mcountExit = 0;
  let staleAfterTrap = 0;
  let tailCallParents = 0;
  let hostLimit = original.hostLimit;
  const oracle = check.oracle === false ? undefined : { tailCalls: check.tailCalls?.(bytes) ?? true };
  for (const [i, variant] of variants.entries()) {
    const label = variant.exitHooks ? 'with exit hooks: ' : '';
    let instrumented: Uint8Array;
    let functionCount: number;
    try {
      const r = instrument(bytes, variant);
      instrumented = r.binary;
      functionCount = r.metadata.functionCount;
    } catch (e) {
      return { status: 'disagree', reason: `${label}instrument() threw: ${(e as Error).stack ?? String(e)}` };
    }
    let addedImports: number;
    try {
      addedImports = parseShape(instrumented).funcImports - shape.funcImports;
    } catch (e) {
      return { status: 'disagree', reason: `${label}the harness cannot parse the instrumented module: ${(e as Error).message}` };
    }
    const runs = i === 0 ? [false, true] : [false];
    for (const guardsOff of runs) {
      const what = `${label}${guardsOff ? 'with the guards cleared: ' : ''}`;
      const after = runModule(instrumented, shape, {
        instrumented: true,
        functionCount,
        addedImports,
        guardsOff,
        exitHooks: !!variant.exitHooks,
        ...(oracle && !guardsOff ? { oracle } : {}),
        ...(check.mutation ? { mutation: check.mutation } : {}),
      });
      if (!after.compiled) return { status: 'disagree', reason: `${label}the instrumented module does not compile: ${after.error}` };
      if (linkError) return { status: 'skip', reason: `does not instantiate: ${original.error}` };
      const diff = firstDifference(original, after);
      if (diff) return { status: 'disagree', reason: `${what}${diff}` };
      if (after.mcountErrors.length > 0) return { status: 'disagree', reason: `${what}${after.mcountErrors.join('; ')}` };
      if (guardsOff && after.mcount > after.mcountAtStart) {
        return { status: 'disagree', reason: `${what}mcount still fired ${after.mcount - after.mcountAtStart} times` };
      }
      if (!guardsOff) {
        mcount += after.mcount;
        mcountExit += after.mcountExit;
        staleAfterTrap += after.staleAfterTrap;
        tailCallParents += after.tailCallParents;
      }
      hostLimit ||= after.hostLimit;
    }
  }
  return { status: 'agree', calls: original.calls, uncallable: original.uncallable, mcount, mcountExit, hostLimit, instantiated: original.instantiated, staleAfterTrap, tailCallParents };
}
