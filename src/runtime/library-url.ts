/**
 * Announces the URL the library was loaded from, before binaryen.js starts.
 * Evaluated first (browser.ts imports it first). The drop-in script
 * (page-auto.ts) holds the page's asynchronous WebAssembly calls until the
 * library is ready; binaryen.js compiles its own wasm while loading, and
 * that call, whose stack shows this URL, must go through at once.
 */
export const LIBRARY_URL_KEY = Symbol.for('wasm-ftrace.library-url');
(globalThis as Record<symbol, unknown>)[LIBRARY_URL_KEY] = import.meta.url;
