/**
 * The drop-in script (dist/browser/auto.js, `wasm-ftrace/browser/auto`):
 *
 *   <script type="module" src="/node_modules/wasm-ftrace/dist/browser/auto.js"
 *           data-tracer="function_graph" data-filter="parse*"></script>
 *
 * placed before the page's own scripts traces every wasm module the page
 * loads, with the options of its data attributes (optionsFromDataset in
 * page.ts), and installs the control API as `globalThis.wasmFtrace`.
 * `globalThis.wasmFtraceReady` is a Promise of that API.
 *
 * This file is tiny and loads the library (13 MB, most of it binaryen.js)
 * with a dynamic import. Until the library is there, the asynchronous
 * WebAssembly functions (instantiate, compile, instantiateStreaming,
 * compileStreaming) wait for it, so a page script that runs meanwhile is
 * still traced; a synchronous `new WebAssembly.Module` in that window is
 * not. binaryen.js compiles its own wasm while the library loads: the
 * browser bundle's copy of it calls the original `WebAssembly.instantiate`
 * left under Symbol.for('wasm-ftrace.webassembly') (see
 * scripts/binaryen-for-browsers.mjs), so that compile is never held,
 * whatever a bundler did to URLs or stacks. Should the library still not
 * load (a network error, a bundler that broke it), the held calls go
 * through untraced after `data-hold-ms` (default 30000) with a console
 * warning: the page is never left hanging.
 * Browser-safe: no Node APIs.
 */
import type { PageTracer } from './page.js';

/** Where binaryen.js in the browser bundle finds the engine's own functions (scripts/binaryen-for-browsers.mjs). */
const OWN_WEBASSEMBLY_KEY = Symbol.for('wasm-ftrace.webassembly');
const DEFAULT_HOLD_MS = 30_000;

const HELD = ['instantiate', 'compile', 'instantiateStreaming', 'compileStreaming'] as const;

type AnyFn = (...args: unknown[]) => unknown;

function holdAsyncCalls(until: Promise<unknown>): () => void {
  const W = globalThis.WebAssembly as unknown as Record<string, AnyFn>;
  const g = globalThis as Record<symbol, unknown>;
  const saved = new Map<string, PropertyDescriptor>();
  const own: Record<string, AnyFn> = {};
  for (const key of HELD) {
    const desc = Object.getOwnPropertyDescriptor(W, key);
    if (!desc || typeof desc.value !== 'function') continue;
    saved.set(key, desc);
    const original = desc.value as AnyFn;
    own[key] = (...args: unknown[]) => original.apply(globalThis.WebAssembly, args);
    const held = function (this: unknown, ...args: unknown[]): unknown {
      // the engine copies the bytes at call time: so do we
      const first = args[0];
      if (first instanceof ArrayBuffer) args[0] = first.slice(0);
      else if (ArrayBuffer.isView(first)) args[0] = new Uint8Array(first.buffer, first.byteOffset, first.byteLength).slice();
      // after the wait, whatever is installed then: the interceptor, or the original
      return until.then(() => W[key]!.apply(globalThis.WebAssembly, args));
    };
    Object.defineProperty(W, key, { ...desc, value: held });
  }
  g[OWN_WEBASSEMBLY_KEY] = own;
  return () => {
    for (const [key, desc] of saved) Object.defineProperty(W, key, desc);
    saved.clear();
    if (g[OWN_WEBASSEMBLY_KEY] === own) delete g[OWN_WEBASSEMBLY_KEY];
  };
}

/** The dataset of the <script> element that loaded this file (none when a bundler inlined it). */
function ownDataset(): Record<string, string | undefined> {
  if (typeof document === 'undefined') return {};
  const self = import.meta.url.split(/[?#]/)[0];
  for (const s of Array.from(document.querySelectorAll('script[src]'))) {
    if ((s as HTMLScriptElement).src.split(/[?#]/)[0] === self) return { ...(s as HTMLScriptElement).dataset };
  }
  return {};
}

function holdMs(dataset: Record<string, string | undefined>): number {
  const v = dataset['holdMs'];
  const n = v === undefined || v === '' ? DEFAULT_HOLD_MS : Number(v);
  if (Number.isFinite(n) && n >= 0) return n;
  console.warn(`wasm-ftrace: data-hold-ms="${v}" is not a number of milliseconds; using ${DEFAULT_HOLD_MS}`);
  return DEFAULT_HOLD_MS;
}

let release!: () => void;
const released = new Promise<void>((r) => (release = r));
const restore = holdAsyncCalls(released);
const dataset = ownDataset();
const waitMs = holdMs(dataset);
const timer = setTimeout(() => {
  console.warn(`wasm-ftrace: the library has not loaded after ${waitMs} ms; the page's WebAssembly calls held meanwhile go on untraced`);
  restore();
  release();
}, waitMs);

const ready: Promise<PageTracer> = (async () => {
  try {
    const lib = await import('../browser.js');
    restore(); // the interceptor wraps the real functions, not ours
    return lib.attach(lib.optionsFromDataset(dataset));
  } catch (e) {
    console.error(`wasm-ftrace: not tracing: ${e instanceof Error ? e.message : String(e)}`);
    throw e;
  } finally {
    clearTimeout(timer);
    restore();
    release();
  }
})();
(globalThis as Record<string, unknown>)['wasmFtraceReady'] = ready;
