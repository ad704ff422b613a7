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
 * This file is tiny and loads the library (15 MB, most of it binaryen.js)
 * with a dynamic import. Until the library is there, the asynchronous
 * WebAssembly functions (instantiate, compile, instantiateStreaming,
 * compileStreaming) wait for it, so a page script that runs meanwhile is
 * still traced; a synchronous `new WebAssembly.Module` in that window is
 * not. binaryen.js's own compile, made while the library loads, goes
 * through at once: its stack shows the library's URL (library-url.ts). A
 * bundler that inlines the library into the page's own file defeats that
 * test (the page's early calls then go through untraced, never deadlock);
 * bundlers split a dynamic import into its own file by default.
 * Browser-safe: no Node APIs.
 */
import type { PageTracer } from './page.js';

const LIBRARY_URL_KEY = Symbol.for('wasm-ftrace.library-url');

/** A call made by the library itself while it loads (binaryen.js compiling its wasm)? */
function fromLibrary(): boolean {
  const url = (globalThis as Record<symbol, unknown>)[LIBRARY_URL_KEY];
  const stack = new Error().stack ?? '';
  return (typeof url === 'string' && stack.includes(url)) || stack.includes('/node_modules/binaryen/');
}

const HELD = ['instantiate', 'compile', 'instantiateStreaming', 'compileStreaming'] as const;

type AnyFn = (...args: unknown[]) => unknown;

function holdAsyncCalls(until: Promise<unknown>): () => void {
  const W = globalThis.WebAssembly as unknown as Record<string, AnyFn>;
  const saved = new Map<string, PropertyDescriptor>();
  for (const key of HELD) {
    const desc = Object.getOwnPropertyDescriptor(W, key);
    if (!desc || typeof desc.value !== 'function') continue;
    saved.set(key, desc);
    const original = desc.value as AnyFn;
    const held = function (this: unknown, ...args: unknown[]): unknown {
      if (fromLibrary()) return original.apply(globalThis.WebAssembly, args);
      // the engine copies the bytes at call time: so do we
      const first = args[0];
      if (first instanceof ArrayBuffer) args[0] = first.slice(0);
      else if (ArrayBuffer.isView(first)) args[0] = new Uint8Array(first.buffer, first.byteOffset, first.byteLength).slice();
      // after the wait, whatever is installed then: the interceptor, or the original
      return until.then(() => W[key]!.apply(globalThis.WebAssembly, args));
    };
    Object.defineProperty(W, key, { ...desc, value: held });
  }
  return () => {
    for (const [key, desc] of saved) Object.defineProperty(W, key, desc);
    saved.clear();
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

let release!: () => void;
const released = new Promise<void>((r) => (release = r));
const restore = holdAsyncCalls(released);
const dataset = ownDataset();

const ready: Promise<PageTracer> = (async () => {
  try {
    const lib = await import('../browser.js');
    restore(); // the interceptor wraps the real functions, not ours
    return lib.attach(lib.optionsFromDataset(dataset));
  } catch (e) {
    console.error(`wasm-ftrace: not tracing: ${e instanceof Error ? e.message : String(e)}`);
    throw e;
  } finally {
    restore();
    release();
  }
})();
(globalThis as Record<string, unknown>)['wasmFtraceReady'] = ready;
