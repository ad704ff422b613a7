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
 * This file holds the wrappers and instantiation; the module cache (which
 * runs the pass, once per content) is module-cache.ts, the interface the
 * program sees module-interface.ts, the byte sources wasm-source.ts, the
 * cache key sha256.ts. The pass itself is injected (`pass`, or
 * provideInstrumenter(): instrumenter.ts), never imported, so a runtime
 * without binaryen.js can use all of this.
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
 * - `instance.exports` hides `__ftrace_control`, the pass's one export, too:
 *   Emscripten's dynamic linking walks every export of a side module (and
 *   refused the i64 caller token earlier builds exported). The instance gets
 *   an own `exports` (frozen, the same functions in the same order) that
 *   shadows the prototype's getter.
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
import { ABI, METADATA_SECTION } from '../abi/index.js';
import { Ftrace } from '../ftrace/ftrace.js';
import type { InstrumentOptions } from '../instrument/pass.js';
import type { TraceArray, TracedInstance } from '../tracers/trace-array.js';
import { noteWasmExports } from '../tracers/wasm-exports.js';
import type { InstrumentCache } from './instrument-cache.js';
import { providedAsyncInstrumenter, providedInstrumenter, type AsyncInstrumenter, type Instrumenter } from './instrumenter.js';
import { createModuleCache, type CacheEntry, type InterceptedModule, type ModuleNameInfo } from './module-cache.js';
import { hideAbiExports, originalExports, originalImports } from './module-interface.js';
import { copyBytes, wasmResponseBytes } from './wasm-source.js';

export type { InterceptedModule, InterceptedStatus, ModuleNameInfo } from './module-cache.js';
export type { AsyncInstrumenter, Instrumenter } from './instrumenter.js';
export { provideAsyncInstrumenter, provideInstrumenter } from './instrumenter.js';
export { sha256Hex } from './sha256.js';

export interface InterceptOptions {
  /** `only` / `notrace` globs for the pass (its `exitHooks` is overridden by the option below) */
  instrument?: InstrumentOptions;
  /** instrument with exit hooks (function_graph and profiler need them) */
  exitHooks: boolean;
  /**
   * The name of a module in the trace (each of its instances gets it).
   * Default: the name section's module name, else the file name of the
   * Response's URL, else the last part of what `loadSite` says, else `wasm<index>`.
   */
  name?: (bytes: Uint8Array, index: number, info: ModuleNameInfo) => string;
  /**
   * Where the program hands over bytes, asked at the call (Node's preload
   * gives load-site.ts: the npm package or script and line of the caller);
   * a module named by nothing better is named by it. It must not throw.
   */
  loadSite?: () => string | undefined;
  /** a module left untraced because of an error, or an instance that could not be registered */
  onError?: (error: unknown, module?: InterceptedModule) => void;
  /**
   * The instrument pass (`instrument` of src/instrument/pass.ts). Default:
   * the one given to provideInstrumenter(), if any; without a pass only
   * modules instrumented beforehand are traced, and binaryen.js is never loaded.
   */
  pass?: Instrumenter;
  /**
   * The pass off this thread, for asynchronous compiles (instantiate,
   * compile, the streaming ones): a Worker (worker-pass.ts). Default: the
   * one given to provideAsyncInstrumenter(), if any; null: none.
   */
  asyncPass?: AsyncInstrumenter | null;
  /** where instrumented modules are kept between runs (Node: instrument-cache.ts); none by default */
  cache?: InstrumentCache;
  /**
   * Asynchronous compiles and instantiations resolve only once this has
   * settled (while it is pending; the small runtime's formatters loading:
   * page-formats.ts). It must settle, and never reject.
   */
  holdResults?: Promise<void>;
}

export interface Interceptor {
  /** Puts the original WebAssembly functions back. Modules compiled meanwhile stay instrumented. */
  uninstall(): void;
  /** every distinct module seen, in order of first load */
  readonly modules: readonly InterceptedModule[];
  readonly installed: boolean;
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

  /** modules compiled through the wrappers (traced or preinstrumented) */
  const compiled = new WeakMap<WebAssembly.Module, CacheEntry>();
  /** unknown instrumented modules adopted at instantiation */
  const adopted = new WeakMap<WebAssembly.Module, CacheEntry>();
  let installed = true;

  const report = (e: unknown, m?: InterceptedModule): void => {
    try {
      options.onError?.(e, m);
    } catch {
      // a failing reporter must not break the program either
    }
  };
  const passOptions: InstrumentOptions = { ...options.instrument, exitHooks: options.exitHooks };
  let hold = options.holdResults;
  void hold?.then(() => (hold = undefined));
  /** An asynchronous result, held while `hold` is pending; failures are not held. */
  const held = <T>(p: Promise<T>): Promise<T> => (hold ? p.then((v) => (hold ? hold.then(() => v) : v)) : p);
  // (load-site.ts catches what could throw: no guard here, the runtime's every byte counts)
  const site = (): string | undefined => options.loadSite?.();
  const cache = createModuleCache({
    pass: options.pass ?? providedInstrumenter(),
    asyncPass: options.asyncPass === null ? undefined : (options.asyncPass ?? providedAsyncInstrumenter()),
    passOptions,
    name: options.name,
    report,
    store: options.cache,
  });

  // ------------------------------------------------------------------ compiling

  function compileSync(entry: CacheEntry, newTarget: AnyFn): WebAssembly.Module {
    if (entry.original) {
      try {
        const m = Reflect.construct(OrigModule, [entry.binary], newTarget) as WebAssembly.Module;
        entry.original = undefined;
        return remember(m, entry);
      } catch (e) {
        cache.demote(entry, e);
      }
    }
    return remember(Reflect.construct(OrigModule, [entry.binary], newTarget) as WebAssembly.Module, entry);
  }

  /**
   * `original`: this call's copy of the program's bytes. A compile that ends
   * after uninstall() returns a module of those, so that the instantiation
   * that follows (through the original functions now) still links.
   */
  async function compileAsync(entry: CacheEntry, original: Uint8Array<ArrayBuffer>): Promise<WebAssembly.Module> {
    let m: WebAssembly.Module | undefined;
    if (entry.original) {
      try {
        m = await origCompile(entry.binary);
        entry.original = undefined;
      } catch (e) {
        if (entry.original) cache.demote(entry, e); // (unless another compile demoted it meanwhile)
      }
    }
    m ??= await origCompile(entry.binary);
    if (!installed && entry.info.status === 'traced') return origCompile(original);
    return remember(m, entry);
  }

  function remember(m: WebAssembly.Module, entry: CacheEntry): WebAssembly.Module {
    if (entry.info.status === 'traced' || entry.info.status === 'preinstrumented') compiled.set(m, entry);
    return m;
  }

  // ------------------------------------------------------------------ instantiating

  function visibleImports(m: WebAssembly.Module, entry: CacheEntry): WebAssembly.ModuleImportDescriptor[] {
    const all = origImports(m);
    return entry.info.status === 'traced' ? originalImports(all, entry.iface, entry.info.metadata ?? {}) : all;
  }

  function visibleExports(m: WebAssembly.Module, entry: CacheEntry | undefined): WebAssembly.ModuleExportDescriptor[] {
    const all = origExports(m);
    return entry?.info.status === 'traced' ? originalExports(all, entry.iface) : all;
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
      traced = tr.addInstance(Ftrace.forModule(m), entry.info.name, {
        moduleHash: entry.info.hash,
        ...(entry.info.codeLayout !== undefined ? { codeLayout: entry.info.codeLayout } : {}),
      });
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
        if (traced) {
          tr.attach(traced, instance);
          info.instances.push(traced);
        }
        hideAbiExports(instance);
      },
    };
  }

  function adopt(m: WebAssembly.Module): CacheEntry {
    const entry = cache.adopt(Ftrace.forModule(m).metadata);
    adopted.set(m, entry);
    return entry;
  }

  // ------------------------------------------------------------------ the wrappers

  const Module = function Module(this: unknown, bytes: unknown): WebAssembly.Module {
    if (!new.target) return Reflect.apply(OrigModule as unknown as AnyFn, this, [bytes]) as WebAssembly.Module; // its TypeError
    const copy = copyBytes(bytes);
    if (!copy) return Reflect.construct(OrigModule, [bytes], new.target) as WebAssembly.Module;
    return compileSync(cache.prepare(copy, site()), new.target as AnyFn);
  } as unknown as typeof WebAssembly.Module;

  const Instance = function Instance(this: unknown, m: unknown, importObject?: unknown): WebAssembly.Instance {
    if (!new.target) return Reflect.apply(OrigInstance as unknown as AnyFn, this, [m, importObject]) as WebAssembly.Instance;
    const p = plan(m, importObject);
    if (!p) return untraced(Reflect.construct(OrigInstance, [m, importObject], new.target) as WebAssembly.Instance);
    const instance = Reflect.construct(OrigInstance, [m, p.imports], new.target) as WebAssembly.Instance;
    p.attach(instance);
    return instance;
  } as unknown as typeof WebAssembly.Instance;

  /** An instance left untraced: its exports are still wasm, passed unwrapped to the traced instances that import them. */
  function untraced(instance: WebAssembly.Instance): WebAssembly.Instance {
    noteWasmExports(instance);
    return instance;
  }

  async function instantiateModule(m: WebAssembly.Module, importObject: unknown): Promise<WebAssembly.Instance> {
    const p = plan(m, importObject);
    if (!p) return untraced((await origInstantiate(m, importObject)) as WebAssembly.Instance);
    const instance = (await origInstantiate(m, p.imports)) as WebAssembly.Instance;
    p.attach(instance);
    return instance;
  }

  async function instantiateBytes(bytes: Uint8Array<ArrayBuffer>, importObject: unknown, url?: string): Promise<WebAssembly.WebAssemblyInstantiatedSource> {
    // An import object the engine rejects: let it, in its own order of checks.
    if (importObject !== undefined && ((typeof importObject !== 'object' && typeof importObject !== 'function') || importObject === null)) {
      return (await origInstantiate(bytes, importObject)) as WebAssembly.WebAssemblyInstantiatedSource;
    }
    const module = await compileAsync(await cache.prepareAsync(bytes, url), bytes);
    const instance = await instantiateModule(module, importObject);
    return { module, instance };
  }

  const instantiate = function instantiate(source: unknown, importObject?: unknown): Promise<unknown> {
    try {
      if (source instanceof OrigModule) return held(instantiateModule(source, importObject));
      const copy = copyBytes(source); // now: the engine copies the bytes before it returns
      if (!copy) return origInstantiate(source, importObject);
      return held(instantiateBytes(copy, importObject, site()));
    } catch (e) {
      return Promise.reject(e);
    }
  } as typeof WebAssembly.instantiate;

  const compile = function compile(bytes: unknown): Promise<WebAssembly.Module> {
    try {
      const copy = copyBytes(bytes);
      if (!copy) return origCompile(bytes);
      return held(cache.prepareAsync(copy, site()).then((entry) => compileAsync(entry, copy)));
    } catch (e) {
      return Promise.reject(e);
    }
  } as typeof WebAssembly.compile;

  const instantiateStreaming = async function instantiateStreaming(source: unknown, importObject?: unknown): Promise<WebAssembly.WebAssemblyInstantiatedSource> {
    const response = await source;
    const bytes = await wasmResponseBytes(response, origCompileStreaming);
    if (!bytes) return (await origInstantiateStreaming!(response, importObject)) as WebAssembly.WebAssemblyInstantiatedSource;
    return held(instantiateBytes(bytes, importObject, (response as Response).url));
  } as typeof WebAssembly.instantiateStreaming;

  const compileStreaming = async function compileStreaming(source: unknown): Promise<WebAssembly.Module> {
    const response = await source;
    const bytes = await wasmResponseBytes(response, origCompileStreaming);
    if (!bytes) return origCompileStreaming!(response);
    return held(cache.prepareAsync(bytes, (response as Response).url).then((entry) => compileAsync(entry, bytes)));
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
  // each wrapper and its original: the same prototype, whose constructor is the wrapper until uninstall()
  const pairs = [
    [Module, OrigModule],
    [Instance, OrigInstance],
  ] as const;
  for (const [wrapper, orig] of pairs) Object.defineProperty(wrapper, 'prototype', { value: orig.prototype, writable: false, enumerable: false, configurable: false });
  Object.defineProperty(Module, MARK, { value: true });

  const replacements: Record<(typeof WRAPPED)[number], unknown> = { Module, Instance, instantiate, compile, instantiateStreaming, compileStreaming };
  const saved = new Map<string, PropertyDescriptor>();
  for (const key of WRAPPED) {
    const desc = Object.getOwnPropertyDescriptor(W, key);
    if (!desc || typeof desc.value !== 'function') continue; // (an engine without streaming)
    saved.set(key, desc);
    Object.defineProperty(W, key, { ...desc, value: replacements[key] });
  }
  const ctorDescs = pairs.map(([, orig]) => Object.getOwnPropertyDescriptor(orig.prototype, 'constructor'));
  pairs.forEach(([wrapper, orig], i) => Object.defineProperty(orig.prototype, 'constructor', { ...ctorDescs[i], value: wrapper }));

  return {
    get modules() {
      return cache.list;
    },
    get installed() {
      return installed;
    },
    uninstall() {
      if (!installed) return;
      installed = false;
      for (const [key, desc] of saved) Object.defineProperty(W, key, desc);
      pairs.forEach(([, orig], i) => ctorDescs[i] && Object.defineProperty(orig.prototype, 'constructor', ctorDescs[i]));
    },
  };
}
