/**
 * Tracing every wasm module a program loads: the JS API wrapped.
 *
 * installInterceptor() replaces `WebAssembly.Module`, `Instance`,
 * `instantiate`, `compile`, `instantiateStreaming` and `compileStreaming`
 * with wrappers that instrument each module's bytes on the way in (once per
 * content: a cache keyed by the SHA-256 of the original bytes), register
 * every instance of an instrumented module with a TraceArray *before* it is
 * instantiated (so its start function is traced) and supply the `ftrace`
 * imports. `validate` is left alone. Browser-safe: no Node APIs here; the
 * Node side is node-preload.ts.
 *
 * What the program sees, and why:
 * - `instanceof WebAssembly.Module` / `Instance` stay true for every module
 *   and instance, wrapped or not: the wrappers share the originals'
 *   prototypes (and `prototype.constructor` names the wrapper while
 *   installed). Subclassing the wrappers works (new.target is passed on).
 * - `WebAssembly.Module.imports(m)` hides the imports the pass added
 *   (`ftrace.mcount`, `ftrace.mcount_exit`): glue that iterates a module's
 *   imports to build its import object must not go looking for them.
 *   `WebAssembly.Module.exports(m)` likewise hides `__ftrace_*`. Both are
 *   what the original bytes would report. `customSections` is unchanged
 *   (the core reads the `wasm-ftrace` section through it).
 * - `instance.exports` keeps the `__ftrace_*` globals: it is a frozen
 *   object that hiding would mean replacing, and glue (Emscripten,
 *   wasm-bindgen) reads exports by name, so extra names are harmless.
 *   Glue that iterates every export (Emscripten's dynamic linking relocates
 *   all exported globals) sees them as extra i32/i64 globals.
 * - The user's import object is read the way the engine reads it (one Get
 *   per import the original module declares), so Proxies and getters
 *   (Emscripten's GOT handlers) keep working; functions are wrapped by the
 *   trace array so it knows when wasm calls out to the host.
 * - A module that cannot be instrumented (invalid bytes, a feature the pass
 *   or the engine rejects) is compiled from its original bytes, untraced,
 *   and reported through onError: it fails, or works, exactly as before,
 *   with the same error.
 * - instantiateStreaming / compileStreaming read the Response with
 *   arrayBuffer() and take the same path; a Response the engine would refuse
 *   (not ok, body used, another MIME type) goes to the original function,
 *   which refuses it with its own error. The Response's URL names the module
 *   (the engine's own use of it, for stack traces, is lost).
 * - Node's fetch (undici) compiles its HTTP parser, llhttp, when `Response`
 *   or `fetch` is first used: if that happens while installed, it is traced
 *   like any other module.
 * - Bytes already instrumented by wasm-ftrace are compiled as they are and
 *   left to the program when it supplies `ftrace` imports itself (it is
 *   tracing on its own); when it does not (an instrumented module shipped
 *   as is, or one posted from another thread), the interceptor supplies them
 *   and traces it.
 */
import { instrument, InstrumentError, type InstrumentOptions, type InstrumentResult } from '../instrument/pass.js';
import {
  ABI,
  METADATA_SECTION,
  SectionId,
  findCustomSection,
  isAbiExport,
  readExportSection,
  readImportSection,
  readSections,
  type FtraceMetadata,
} from '../abi/index.js';
import type { InstrumentCache } from './instrument-cache.js';
import { Ftrace } from '../ftrace/ftrace.js';
import type { TraceArray, TracedInstance } from '../tracers/trace-array.js';

export interface ModuleNameInfo {
  /** SHA-256 (hex) of the original bytes */
  hash: string;
  /** the name section's module name, if any */
  moduleName?: string;
  /** the Response's URL (instantiateStreaming / compileStreaming) */
  url?: string;
}

export interface InterceptOptions {
  /** `only` / `notrace` globs for the pass (its `exitHooks` is overridden by the option below) */
  instrument?: InstrumentOptions;
  /** instrument with exit hooks (function_graph and profiler need them) */
  exitHooks: boolean;
  /**
   * The name of a module in the trace (each of its instances gets it).
   * Default: the name section's module name, else the file name of the
   * Response's URL, else `wasm<index>`.
   */
  name?: (bytes: Uint8Array, index: number, info: ModuleNameInfo) => string;
  /** a module left untraced because of an error, or an instance that could not be registered */
  onError?: (error: unknown, module?: InterceptedModule) => void;
  /** where instrumented modules are kept between runs (Node: instrument-cache.ts); none by default */
  cache?: InstrumentCache;
}

/**
 * - traced: instrumented; its instances are traced
 * - skipped: `only` selects no function in it (compiled from its original bytes)
 * - failed: could not be instrumented, or the engine rejected the output (original bytes, untraced)
 * - preinstrumented: the bytes were already instrumented (compiled as they are)
 */
export type InterceptedStatus = 'traced' | 'skipped' | 'failed' | 'preinstrumented';

export interface InterceptedModule {
  /** order of first load, from 0 */
  readonly index: number;
  name: string;
  /** SHA-256 (hex) of the original bytes: the cache key and TracedInstance.moduleHash */
  readonly hash: string;
  /** size of the original bytes */
  readonly size: number;
  status: InterceptedStatus;
  /** why a module is not traced */
  reason?: string;
  /** the pass's warnings */
  warnings: string[];
  /** the instrumented bytes came from the instrument cache (the pass did not run) */
  cached?: boolean;
  metadata?: FtraceMetadata;
  /** how many times the program compiled these bytes (the pass ran once) */
  loads: number;
  /** the traced instances of this module, in the trace array */
  readonly instances: TracedInstance[];
}

export interface Interceptor {
  /** Puts the original WebAssembly functions back. Modules compiled meanwhile stay instrumented. */
  uninstall(): void;
  /** every distinct module seen, in order of first load */
  readonly modules: readonly InterceptedModule[];
  readonly installed: boolean;
}

interface Entry {
  info: InterceptedModule;
  /** the bytes to compile: instrumented, or the original ones */
  binary: Uint8Array<ArrayBuffer>;
  /** the original bytes, kept until the engine has accepted the instrumented ones once */
  original: Uint8Array<ArrayBuffer> | undefined;
  /** the original module's imports and exports, in order (traced modules; null if unreadable) */
  iface?: ModuleInterface | null;
}

interface ModuleInterface {
  /** `module\0name\0kind` per import */
  imports: string[];
  /** export names */
  exports: string[];
}

type AnyFn = (...args: never[]) => unknown;
const MARK = Symbol.for('wasm-ftrace.interceptor');
const WRAPPED = ['Module', 'Instance', 'instantiate', 'compile', 'instantiateStreaming', 'compileStreaming'] as const;

export function installInterceptor(tr: TraceArray, options: InterceptOptions): Interceptor {
  const W = globalThis.WebAssembly;
  if ((W.Module as unknown as Record<symbol, unknown>)[MARK]) throw new Error('a wasm-ftrace interceptor is already installed');

  const OrigModule = W.Module;
  const OrigInstance = W.Instance;
  const origImports = W.Module.imports.bind(W.Module);
  const origExports = W.Module.exports.bind(W.Module);
  const origCustomSections = W.Module.customSections.bind(W.Module);
  const origInstantiate = W.instantiate.bind(W) as (source: unknown, imports?: unknown) => Promise<unknown>;
  const origCompile = W.compile.bind(W) as (bytes: unknown) => Promise<WebAssembly.Module>;
  const origInstantiateStreaming = typeof W.instantiateStreaming === 'function' ? (W.instantiateStreaming.bind(W) as (s: unknown, i?: unknown) => Promise<unknown>) : undefined;
  const origCompileStreaming = typeof W.compileStreaming === 'function' ? (W.compileStreaming.bind(W) as (s: unknown) => Promise<WebAssembly.Module>) : undefined;

  const passOptions: InstrumentOptions = { ...options.instrument, exitHooks: options.exitHooks };
  const cache = new Map<string, Entry>();
  const list: InterceptedModule[] = [];
  /** modules compiled through the wrappers (traced or preinstrumented) */
  const compiled = new WeakMap<WebAssembly.Module, Entry>();
  /** unknown instrumented modules adopted at instantiation */
  const adopted = new WeakMap<WebAssembly.Module, Entry>();
  let busy = false;
  let installed = true;

  const report = (e: unknown, m?: InterceptedModule): void => {
    try {
      options.onError?.(e, m);
    } catch {
      // a failing reporter must not break the program either
    }
  };

  // ------------------------------------------------------------------ preparing bytes

  function prepare(bytes: Uint8Array<ArrayBuffer>, url?: string): Entry {
    const hash = sha256Hex(bytes);
    const hit = cache.get(hash);
    if (hit) {
      hit.info.loads++;
      return hit;
    }
    const info: InterceptedModule = { index: list.length, name: '', hash, size: bytes.length, status: 'failed', warnings: [], loads: 1, instances: [] };
    const entry: Entry = { info, binary: bytes, original: undefined };
    let error: unknown;
    if (busy) {
      // re-entered while instrumenting (binaryen compiling wasm of its own): leave it alone, uncached
      info.status = 'skipped';
      info.reason = 'loaded while another module was being instrumented';
      info.name = `wasm${info.index}`;
      return entry;
    }
    busy = true;
    try {
      if (findCustomSection(readSections(bytes), METADATA_SECTION)) {
        info.status = 'preinstrumented';
      } else {
        let result = options.cache?.get(hash, passOptions);
        if (result !== undefined) info.cached = true;
        else {
          result = instrumentSelecting(bytes, passOptions);
          options.cache?.put(hash, passOptions, result);
        }
        if (result === null) {
          info.status = 'skipped';
          info.reason = 'the --only globs select no function in it';
        } else {
          info.status = 'traced';
          info.metadata = result.metadata;
          info.warnings = result.warnings;
          entry.binary = result.binary as Uint8Array<ArrayBuffer>;
          entry.original = bytes;
          entry.iface = readInterface(bytes);
        }
      }
    } catch (e) {
      info.status = 'failed';
      info.reason = e instanceof Error ? e.message : String(e);
      error = e;
    } finally {
      busy = false;
    }
    info.name = moduleName(bytes, info, url);
    cache.set(hash, entry);
    list.push(info);
    if (error !== undefined) report(error, info);
    return entry;
  }

  function moduleName(bytes: Uint8Array, info: InterceptedModule, url: string | undefined): string {
    const nameInfo: ModuleNameInfo = { hash: info.hash };
    const own = info.metadata?.moduleName;
    if (own) nameInfo.moduleName = own;
    if (url) nameInfo.url = url;
    if (options.name) {
      try {
        const n = options.name(bytes, info.index, nameInfo);
        if (typeof n === 'string' && n.length > 0) return n;
      } catch (e) {
        report(e, info);
      }
    }
    if (own) return own;
    const file = url ? fileName(url) : '';
    return file || `wasm${info.index}`;
  }

  /** The engine rejected the instrumented bytes: from now on these bytes compile as they are. */
  function demote(entry: Entry, e: unknown): void {
    entry.info.status = 'failed';
    entry.info.reason = `the engine rejected the instrumented module: ${e instanceof Error ? e.message : String(e)}`;
    delete entry.info.metadata;
    entry.binary = entry.original!;
    entry.original = undefined;
    report(e, entry.info);
  }

  function compileSync(entry: Entry, newTarget: AnyFn): WebAssembly.Module {
    if (entry.original) {
      try {
        const m = Reflect.construct(OrigModule, [entry.binary], newTarget) as WebAssembly.Module;
        entry.original = undefined;
        return remember(m, entry);
      } catch (e) {
        demote(entry, e);
      }
    }
    return remember(Reflect.construct(OrigModule, [entry.binary], newTarget) as WebAssembly.Module, entry);
  }

  /**
   * `original`: this call's copy of the program's bytes. A compile that ends
   * after uninstall() returns a module of those, so that the instantiation
   * that follows (through the original functions now) still links.
   */
  async function compileAsync(entry: Entry, original: Uint8Array<ArrayBuffer>): Promise<WebAssembly.Module> {
    let m: WebAssembly.Module | undefined;
    if (entry.original) {
      try {
        m = await origCompile(entry.binary);
        entry.original = undefined;
      } catch (e) {
        if (entry.original) demote(entry, e); // (unless another compile demoted it meanwhile)
      }
    }
    m ??= await origCompile(entry.binary);
    if (!installed && entry.info.status === 'traced') return origCompile(original);
    return remember(m, entry);
  }

  function remember(m: WebAssembly.Module, entry: Entry): WebAssembly.Module {
    if (entry.info.status === 'traced' || entry.info.status === 'preinstrumented') compiled.set(m, entry);
    return m;
  }

  // ------------------------------------------------------------------ instantiating

  /**
   * A traced module's imports as the original bytes list them: the engine's
   * descriptors less those the pass added, in the original order (binaryen
   * writes function imports before the others).
   */
  function visibleImports(m: WebAssembly.Module, entry: Entry): WebAssembly.ModuleImportDescriptor[] {
    const all = origImports(m);
    if (entry.info.status !== 'traced') return all;
    if (entry.iface) return inOriginalOrder(all, entry.iface.imports, (d) => `${d.module}\0${d.name}\0${d.kind}`);
    // (the original import section could not be read: drop the pass's imports by name)
    const added = [ABI.mcount, ...(entry.info.metadata?.exitHooks ? [ABI.mcountExit] : [])];
    for (const name of added) {
      // the pass appends its imports: drop the last one of that name
      for (let i = all.length - 1; i >= 0; i--) {
        const d = all[i]!;
        if (d.module === ABI.importModule && d.name === name && d.kind === 'function') {
          all.splice(i, 1);
          break;
        }
      }
    }
    return all;
  }

  function visibleExports(m: WebAssembly.Module, entry: Entry | undefined): WebAssembly.ModuleExportDescriptor[] {
    const all = origExports(m);
    if (entry?.info.status !== 'traced') return all;
    if (entry.iface) return inOriginalOrder(all, entry.iface.exports, (d) => d.name);
    return all.filter((d) => !isAbiExport(d.name));
  }

  /**
   * How to instantiate `m` traced: the import object to pass and what to do
   * with the instance. null: not ours, or an import object the engine will
   * reject anyway (let it, with its own error).
   */
  function plan(m: unknown, importObject: unknown): { imports: WebAssembly.Imports; attach(instance: WebAssembly.Instance): void } | null {
    if (!(m instanceof OrigModule)) return null;
    const hasObject = typeof importObject === 'object' || typeof importObject === 'function';
    if (importObject !== undefined && (!hasObject || importObject === null)) return null;
    let entry = compiled.get(m) ?? adopted.get(m);
    if (!entry) {
      if (origCustomSections(m, METADATA_SECTION).length === 0) return null;
      entry = adopt(m);
    }
    if (entry.info.status === 'preinstrumented' && hasObject && 'ftrace' in (importObject as object)) return null; // it traces itself
    if (entry.info.status !== 'traced' && entry.info.status !== 'preinstrumented') return null;

    const wanted = entry.info.status === 'traced' ? visibleImports(m, entry) : origImports(m).filter((d) => d.module !== ABI.importModule);
    if (wanted.length > 0 && importObject === undefined) return null;
    const user: Record<string, Record<string, unknown>> = {};
    for (const d of wanted) {
      if (d.module === ABI.importModule) continue; // the guest API: the trace array supplies it
      const ns = (importObject as Record<string, unknown>)[d.module];
      if ((typeof ns !== 'object' && typeof ns !== 'function') || ns === null) return null; // the engine's TypeError
      (user[d.module] ??= {})[d.name] = (ns as Record<string, unknown>)[d.name];
    }

    let traced: TracedInstance | undefined;
    let imports: WebAssembly.Imports;
    try {
      traced = tr.addInstance(Ftrace.forModule(m), entry.info.name, { moduleHash: entry.info.hash });
      imports = tr.importsFor(traced, user as WebAssembly.Imports);
    } catch (e) {
      // e.g. a tracer that needs exit hooks and a module built without them: run it, untraced
      report(e, entry.info);
      traced = undefined;
      imports = { ...(user as WebAssembly.Imports), [ABI.importModule]: Ftrace.forModule(m).imports as unknown as WebAssembly.ModuleImports };
    }
    const info = entry.info;
    return {
      imports,
      attach(instance) {
        if (!traced) return;
        tr.attach(traced, instance);
        info.instances.push(traced);
      },
    };
  }

  function adopt(m: WebAssembly.Module): Entry {
    // An instrumented module we did not compile: its original bytes are unknown, so is its hash.
    const metadata = Ftrace.forModule(m).metadata;
    const info: InterceptedModule = {
      index: list.length,
      name: metadata.moduleName ?? `wasm${list.length}`,
      hash: '',
      size: 0,
      status: 'preinstrumented',
      reason: 'compiled elsewhere, already instrumented',
      warnings: [],
      metadata,
      loads: 0,
      instances: [],
    };
    list.push(info);
    const entry: Entry = { info, binary: new Uint8Array(0), original: undefined };
    adopted.set(m, entry);
    return entry;
  }

  // ------------------------------------------------------------------ the wrappers

  const Module = function Module(this: unknown, bytes: unknown): WebAssembly.Module {
    if (!new.target) return Reflect.apply(OrigModule as unknown as AnyFn, this, [bytes]) as WebAssembly.Module; // its TypeError
    const copy = copyBytes(bytes);
    if (!copy) return Reflect.construct(OrigModule, [bytes], new.target) as WebAssembly.Module;
    return compileSync(prepare(copy), new.target as AnyFn);
  } as unknown as typeof WebAssembly.Module;

  const Instance = function Instance(this: unknown, m: unknown, importObject?: unknown): WebAssembly.Instance {
    if (!new.target) return Reflect.apply(OrigInstance as unknown as AnyFn, this, [m, importObject]) as WebAssembly.Instance;
    const p = plan(m, importObject);
    if (!p) return Reflect.construct(OrigInstance, [m, importObject], new.target) as WebAssembly.Instance;
    const instance = Reflect.construct(OrigInstance, [m, p.imports], new.target) as WebAssembly.Instance;
    p.attach(instance);
    return instance;
  } as unknown as typeof WebAssembly.Instance;

  async function instantiateModule(m: WebAssembly.Module, importObject: unknown): Promise<WebAssembly.Instance> {
    const p = plan(m, importObject);
    if (!p) return (await origInstantiate(m, importObject)) as WebAssembly.Instance;
    const instance = (await origInstantiate(m, p.imports)) as WebAssembly.Instance;
    p.attach(instance);
    return instance;
  }

  async function instantiateBytes(bytes: Uint8Array<ArrayBuffer>, importObject: unknown, url?: string): Promise<WebAssembly.WebAssemblyInstantiatedSource> {
    // An import object the engine rejects: let it, in its own order of checks.
    if (importObject !== undefined && ((typeof importObject !== 'object' && typeof importObject !== 'function') || importObject === null)) {
      return (await origInstantiate(bytes, importObject)) as WebAssembly.WebAssemblyInstantiatedSource;
    }
    const module = await compileAsync(prepare(bytes, url), bytes);
    const instance = await instantiateModule(module, importObject);
    return { module, instance };
  }

  const instantiate = function instantiate(source: unknown, importObject?: unknown): Promise<unknown> {
    try {
      if (source instanceof OrigModule) return instantiateModule(source, importObject);
      const copy = copyBytes(source); // now: the engine copies the bytes before it returns
      if (!copy) return origInstantiate(source, importObject);
      return instantiateBytes(copy, importObject);
    } catch (e) {
      return Promise.reject(e);
    }
  } as typeof WebAssembly.instantiate;

  const compile = function compile(bytes: unknown): Promise<WebAssembly.Module> {
    try {
      const copy = copyBytes(bytes);
      if (!copy) return origCompile(bytes);
      return compileAsync(prepare(copy), copy);
    } catch (e) {
      return Promise.reject(e);
    }
  } as typeof WebAssembly.compile;

  const instantiateStreaming = async function instantiateStreaming(source: unknown, importObject?: unknown): Promise<WebAssembly.WebAssemblyInstantiatedSource> {
    const response = await source;
    const bytes = await wasmResponseBytes(response, origCompileStreaming);
    if (!bytes) return (await origInstantiateStreaming!(response, importObject)) as WebAssembly.WebAssemblyInstantiatedSource;
    return instantiateBytes(bytes, importObject, (response as Response).url);
  } as typeof WebAssembly.instantiateStreaming;

  const compileStreaming = async function compileStreaming(source: unknown): Promise<WebAssembly.Module> {
    const response = await source;
    const bytes = await wasmResponseBytes(response, origCompileStreaming);
    if (!bytes) return origCompileStreaming!(response);
    return compileAsync(prepare(bytes, (response as Response).url), bytes);
  } as typeof WebAssembly.compileStreaming;

  // Statics: customSections unchanged; imports/exports as the original bytes would list them.
  for (const key of Reflect.ownKeys(OrigModule)) {
    if (key === 'prototype' || key === 'length' || key === 'name') continue;
    Object.defineProperty(Module, key, Object.getOwnPropertyDescriptor(OrigModule, key)!);
  }
  const statics = {
    imports(m: WebAssembly.Module): WebAssembly.ModuleImportDescriptor[] {
      const entry = m instanceof OrigModule ? compiled.get(m) : undefined;
      return entry ? visibleImports(m, entry) : origImports(m);
    },
    exports(m: WebAssembly.Module): WebAssembly.ModuleExportDescriptor[] {
      return visibleExports(m, m instanceof OrigModule ? compiled.get(m) : undefined);
    },
  };
  for (const key of ['imports', 'exports'] as const) {
    const desc = Object.getOwnPropertyDescriptor(OrigModule, key);
    Object.defineProperty(Module, key, { ...desc, value: statics[key] });
  }
  Object.defineProperty(Module, 'prototype', { value: OrigModule.prototype, writable: false, enumerable: false, configurable: false });
  Object.defineProperty(Instance, 'prototype', { value: OrigInstance.prototype, writable: false, enumerable: false, configurable: false });
  Object.defineProperty(Module, MARK, { value: true });

  const replacements: Record<(typeof WRAPPED)[number], unknown> = { Module, Instance, instantiate, compile, instantiateStreaming, compileStreaming };
  const saved = new Map<string, PropertyDescriptor>();
  for (const key of WRAPPED) {
    const desc = Object.getOwnPropertyDescriptor(W, key);
    if (!desc || typeof desc.value !== 'function') continue; // (an engine without streaming)
    saved.set(key, desc);
    Object.defineProperty(W, key, { ...desc, value: replacements[key] });
  }
  const ctorDescs = [Object.getOwnPropertyDescriptor(OrigModule.prototype, 'constructor'), Object.getOwnPropertyDescriptor(OrigInstance.prototype, 'constructor')];
  Object.defineProperty(OrigModule.prototype, 'constructor', { ...ctorDescs[0], value: Module });
  Object.defineProperty(OrigInstance.prototype, 'constructor', { ...ctorDescs[1], value: Instance });

  return {
    get modules() {
      return list;
    },
    get installed() {
      return installed;
    },
    uninstall() {
      if (!installed) return;
      installed = false;
      for (const [key, desc] of saved) Object.defineProperty(W, key, desc);
      if (ctorDescs[0]) Object.defineProperty(OrigModule.prototype, 'constructor', ctorDescs[0]);
      if (ctorDescs[1]) Object.defineProperty(OrigInstance.prototype, 'constructor', ctorDescs[1]);
    },
  };
}

/**
 * instrument(), dropping `notrace` globs that match nothing in this module
 * and `only` globs likewise (a program loads many modules; a glob written
 * for one matches nothing in the others). null: `only` selects nothing here.
 */
export function instrumentSelecting(bytes: Uint8Array, options: InstrumentOptions): InstrumentResult | null {
  let only = [...(options.only ?? [])];
  let notrace = [...(options.notrace ?? [])];
  for (;;) {
    try {
      return instrument(bytes, { ...options, only, notrace });
    } catch (e) {
      if (!(e instanceof InstrumentError) || e.kind !== 'no-match') throw e;
      const before = only.length + notrace.length;
      if (e.option === '--only') only = only.filter((g) => g !== e.pattern);
      else notrace = notrace.filter((g) => g !== e.pattern);
      if (only.length + notrace.length === before) throw e;
      if (e.option === '--only' && only.length === 0) return null;
    }
  }
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
function readInterface(bytes: Uint8Array): ModuleInterface | null {
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

/** A copy of a BufferSource's bytes (the engine copies them at call time too), or null for anything else. */
function copyBytes(source: unknown): Uint8Array<ArrayBuffer> | null {
  try {
    if (source instanceof ArrayBuffer) return new Uint8Array(source.slice(0));
    if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength).slice();
  } catch {
    // detached, or a shared buffer the engine will judge
  }
  return null;
}

/**
 * The bytes of a Response the engine would accept (a Response, status ok,
 * body unused, MIME type `application/wasm`), or null: then the original
 * streaming function gets it and fails with its own error. Engines differ
 * on parameters after the type (`application/wasm; charset=...`): Node 20
 * compares the whole header, the spec only the essence. For such a header
 * the engine itself is asked, once per header value, with an empty module.
 */
async function wasmResponseBytes(response: unknown, compileStreaming: ((s: unknown) => Promise<unknown>) | undefined): Promise<Uint8Array<ArrayBuffer> | null> {
  if (typeof Response === 'undefined' || !(response instanceof Response)) return null;
  if (!response.ok || response.bodyUsed) return null;
  const header = response.headers.get('content-type') ?? '';
  if (header !== 'application/wasm') {
    if (header.split(';')[0]!.trim().toLowerCase() !== 'application/wasm' || !compileStreaming) return null;
    let accepted = acceptedTypes.get(header);
    if (accepted === undefined) {
      const empty = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
      accepted = await compileStreaming(new Response(empty, { headers: { 'content-type': header } })).then(
        () => true,
        () => false,
      );
      acceptedTypes.set(header, accepted);
    }
    if (!accepted) return null;
  }
  return new Uint8Array(await response.arrayBuffer());
}
const acceptedTypes = new Map<string, boolean>();

function fileName(url: string): string {
  const path = url.split(/[?#]/)[0] ?? '';
  const base = path.slice(path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(base);
  } catch {
    return base;
  }
}

// ---------------------------------------------------------------- SHA-256

/*
 * A synchronous SHA-256 (FIPS 180-4) in plain JS: `new WebAssembly.Module`
 * is synchronous, so crypto.subtle.digest (a Promise) cannot key the cache
 * there, and the trace names modules by the SHA-256 of their bytes (what
 * `sha256sum app.wasm` prints). About 150-250 MB/s in V8: a 700 KB module
 * costs a few ms, far below instrumenting it.
 */
const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** SHA-256 of `data`, as 64 lowercase hex digits. */
export function sha256Hex(data: Uint8Array): string {
  const h = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const w = new Int32Array(64);
  const full = data.length & ~63;
  for (let off = 0; off < full; off += 64) block(h, w, data, off);
  // the tail: 0x80, zeros, the length in bits (big-endian, 64 bits)
  const tail = new Uint8Array(data.length - full + 9 > 64 ? 128 : 64);
  tail.set(data.subarray(full));
  tail[data.length - full] = 0x80;
  const bits = data.length * 8;
  const dv = new DataView(tail.buffer);
  dv.setUint32(tail.length - 8, Math.floor(bits / 0x100000000));
  dv.setUint32(tail.length - 4, bits >>> 0);
  for (let off = 0; off < tail.length; off += 64) block(h, w, tail, off);
  let hex = '';
  for (let i = 0; i < 8; i++) hex += (h[i]! >>> 0).toString(16).padStart(8, '0');
  return hex;
}

function block(h: Int32Array, w: Int32Array, p: Uint8Array, off: number): void {
  for (let t = 0; t < 16; t++) {
    const i = off + t * 4;
    w[t] = (p[i]! << 24) | (p[i + 1]! << 16) | (p[i + 2]! << 8) | p[i + 3]!;
  }
  for (let t = 16; t < 64; t++) {
    const a = w[t - 15]!;
    const b = w[t - 2]!;
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) | 0;
  }
  let a = h[0]!;
  let b = h[1]!;
  let c = h[2]!;
  let d = h[3]!;
  let e = h[4]!;
  let f = h[5]!;
  let g = h[6]!;
  let hh = h[7]!;
  for (let t = 0; t < 64; t++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (hh + s1 + ((e & f) ^ (~e & g)) + K[t]! + w[t]!) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    hh = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  h[0] = h[0]! + a;
  h[1] = h[1]! + b;
  h[2] = h[2]! + c;
  h[3] = h[3]! + d;
  h[4] = h[4]! + e;
  h[5] = h[5]! + f;
  h[6] = h[6]! + g;
  h[7] = h[7]! + hh;
}
