/**
 * The interceptor's module cache: each distinct module (by the SHA-256 of its
 * original bytes) is instrumented once, however often the program compiles
 * it, and remembered with what became of it.
 */
import { METADATA_SECTION, codeLayout, findCustomSection, readSections, type FtraceMetadata } from '../abi/index.js';
import type { InstrumentOptions, InstrumentResult } from '../instrument/pass.js';
import type { TracedInstance } from '../tracers/trace-array.js';
import type { InstrumentCache } from './instrument-cache.js';
import { NOT_INSTRUMENTED, type AsyncInstrumenter, type Instrumenter, type WorkerFailure } from './instrumenter.js';
import { instrumentSelecting } from './instrument-selecting.js';
import { readInterface, type ModuleInterface } from './module-interface.js';
import { sha256Hex } from './sha256.js';
import { fileName } from './wasm-source.js';

export { instrumentSelecting } from './instrument-selecting.js';

export interface ModuleNameInfo {
  /** SHA-256 (hex) of the original bytes */
  hash: string;
  /** the name section's module name, if any */
  moduleName?: string;
  /** the Response's URL (instantiateStreaming / compileStreaming), or where the program handed over bytes (the interceptor's loadSite) */
  url?: string;
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
  /** its code section's layout (abi codeLayout), kept in the data file for `--symbols`; unset when unreadable */
  codeLayout?: string;
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

export interface CacheEntry {
  info: InterceptedModule;
  /** the bytes to compile: instrumented, or the original ones */
  binary: Uint8Array<ArrayBuffer>;
  /** the original bytes, kept until the engine has accepted the instrumented ones once */
  original: Uint8Array<ArrayBuffer> | undefined;
  /** the original module's imports and exports, in order (traced modules; null if unreadable) */
  iface?: ModuleInterface | null;
}

export interface ModuleCacheOptions {
  /** the pass; undefined: only modules instrumented beforehand are traced */
  pass: Instrumenter | undefined;
  /** the pass run elsewhere (a Worker: worker-pass.ts), for asynchronous compiles; undefined: `pass` on this thread */
  asyncPass?: AsyncInstrumenter | undefined;
  passOptions: InstrumentOptions;
  name: ((bytes: Uint8Array, index: number, info: ModuleNameInfo) => string) | undefined;
  /** reports an error that left a module untraced; never throws */
  report: (error: unknown, module?: InterceptedModule) => void;
  /** where instrumented modules are kept between runs (Node: instrument-cache.ts) */
  store: InstrumentCache | undefined;
}

export interface ModuleCache {
  /** every distinct module seen, in order of first load */
  readonly list: InterceptedModule[];
  /** The entry for these bytes: instrumented on first sight, from the cache after. */
  prepare(bytes: Uint8Array<ArrayBuffer>, url?: string): CacheEntry;
  /** The same, for an asynchronous compile: the pass runs off this thread when there is an asyncPass. */
  prepareAsync(bytes: Uint8Array<ArrayBuffer>, url?: string): Promise<CacheEntry>;
  /** The engine rejected the instrumented bytes: from now on these bytes compile as they are. */
  demote(entry: CacheEntry, e: unknown): void;
  /** An instrumented module compiled elsewhere: its original bytes are unknown, so is its hash. */
  adopt(metadata: FtraceMetadata): CacheEntry;
}

export function createModuleCache(options: ModuleCacheOptions): ModuleCache {
  const list: InterceptedModule[] = [];
  const byHash = new Map<string, CacheEntry>();
  let busy = false;
  /** modules being instrumented off this thread, by hash */
  const inFlight = new Map<string, Promise<CacheEntry>>();
  const { pass, asyncPass, passOptions, report, store } = options;

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

  /** Enters the outcome of the pass (or why there is none) for new bytes. */
  function record(bytes: Uint8Array<ArrayBuffer>, url: string | undefined, hash: string, outcome: (info: InterceptedModule) => InstrumentResult | null | 'preinstrumented'): CacheEntry {
    const info: InterceptedModule = { index: list.length, name: '', hash, size: bytes.length, status: 'failed', warnings: [], loads: 1, instances: [] };
    try {
      info.codeLayout = codeLayout(bytes);
    } catch {
      // not readable as wasm: instrumenting it says why
    }
    const entry: CacheEntry = { info, binary: bytes, original: undefined };
    let error: unknown;
    try {
      const result = outcome(info);
      if (result === 'preinstrumented') {
        info.status = 'preinstrumented';
      } else if (result === null) {
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
    } catch (e) {
      info.status = 'failed';
      info.reason = e instanceof Error ? e.message : String(e);
      error = e;
    }
    info.name = moduleName(bytes, info, url);
    byHash.set(hash, entry);
    list.push(info);
    if (error !== undefined) report(error, info);
    return entry;
  }

  return {
    list,

    prepare(bytes, url) {
      const hash = sha256Hex(bytes);
      const hit = byHash.get(hash);
      if (hit) {
        hit.info.loads++;
        return hit;
      }
      if (busy) {
        // re-entered while instrumenting (binaryen compiling wasm of its own): leave it alone, uncached
        const info: InterceptedModule = { index: list.length, name: `wasm${list.length}`, hash, size: bytes.length, status: 'skipped', warnings: [], loads: 1, instances: [] };
        info.reason = 'loaded while another module was being instrumented';
        return { info, binary: bytes, original: undefined };
      }
      busy = true;
      try {
        return record(bytes, url, hash, (info) => {
          if (findCustomSection(readSections(bytes), METADATA_SECTION)) return 'preinstrumented';
          const result = store?.get(hash, passOptions);
          if (result !== undefined) {
            info.cached = true;
            return result;
          }
          if (!pass) throw new Error(NOT_INSTRUMENTED);
          const fresh = instrumentSelecting(pass, bytes, passOptions);
          store?.put(hash, passOptions, fresh);
          return fresh;
        });
      } finally {
        busy = false;
      }
    },

    prepareAsync(bytes, url) {
      if (!asyncPass) return Promise.resolve(this.prepare(bytes, url));
      const hash = sha256Hex(bytes);
      if (byHash.has(hash) || busy || isInstrumented(bytes) !== false || store?.get(hash, passOptions) !== undefined) return Promise.resolve(this.prepare(bytes, url));
      const pending = inFlight.get(hash);
      if (pending) return pending.then((e) => (e.info.loads++, e));
      const run = (result: InstrumentResult | null): InstrumentResult | null => (store?.put(hash, passOptions, result), result);
      const done = asyncPass(bytes, passOptions)
        .then(
          (result) => () => run(result),
          (e: unknown) => () => {
            // the worker could not run: the pass on this thread, when there is one
            if (isWorkerFailure(e) && pass) return run(instrumentSelecting(pass, bytes, passOptions));
            throw e;
          },
        )
        .then((outcome) => {
          inFlight.delete(hash);
          return record(bytes, url, hash, outcome);
        });
      inFlight.set(hash, done);
      return done;
    },

    demote(entry, e) {
      entry.info.status = 'failed';
      entry.info.reason = `the engine rejected the instrumented module: ${e instanceof Error ? e.message : String(e)}`;
      delete entry.info.metadata;
      entry.binary = entry.original!;
      entry.original = undefined;
      report(e, entry.info);
    },

    adopt(metadata) {
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
      return { info, binary: new Uint8Array(0), original: undefined };
    },
  };
}

/** (by name: the small runtime loads worker-pass.ts in a file of its own, with its own copy of the class) */
function isWorkerFailure(e: unknown): e is WorkerFailure {
  return (e as Error | null)?.name === 'WorkerFailure';
}

/** Does it carry wasm-ftrace's metadata section? null: its sections cannot be read (then the engine will say why). */
function isInstrumented(bytes: Uint8Array): boolean | null {
  try {
    return findCustomSection(readSections(bytes), METADATA_SECTION) !== undefined;
  } catch {
    return null;
  }
}
