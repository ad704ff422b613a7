/**
 * Where page.ts finds its formatters (page-format.ts). The full library
 * hands them over on load (provideFormats, src/browser.ts), so they are
 * there at once. The small runtime does not: attach() starts loading them
 * (loadFormats), and until they are there text(), chrome(), folded() and
 * profile() throw; the interceptor holds the result of every asynchronous
 * compile or instantiation until then (at most FORMATS_WAIT_MS), so a page
 * that loads its wasm asynchronously never meets that. A dynamic import
 * that esbuild's runtime build maps to ./runtime-format.js
 * (scripts/build-browser.mjs). Browser-safe: no Node APIs.
 */
import type * as Formats from './page-format.js';

export type PageFormats = typeof Formats;

/** The longest the interceptor holds an asynchronous result back for the formatters. */
export const FORMATS_WAIT_MS = 10_000;

let formats: PageFormats | undefined;
let failure: string | undefined;
let loading: Promise<void> | undefined;
/** the formatters' file, in the small runtime */
const FILE = 'runtime-format.js';

/** The full library: the formatters are in the bundle. */
export function provideFormats(f: PageFormats): void {
  formats = f;
}

/**
 * Starts loading the formatters, once: undefined when they are already
 * there, else a promise that settles (never rejects) when they are, when
 * loading them failed, or after FORMATS_WAIT_MS; `warn` says which, once.
 */
export function loadFormats(warn: (message: string) => void): Promise<void> | undefined {
  if (formats) return undefined;
  return (loading ??= new Promise<void>((done) => {
    const timer = setTimeout(() => done(warn(`wasm-ftrace: ${FILE} has not loaded after ${FORMATS_WAIT_MS} ms; WebAssembly compiles no longer wait for it`)), FORMATS_WAIT_MS);
    import('./page-format.js')
      .then(
        (f) => void (formats = f),
        (e: unknown) => warn(`wasm-ftrace: ${FILE} did not load (${(failure = String(e))}): text(), chrome(), folded() and profile() cannot work; read() and save() do`),
      )
      .finally(() => done(clearTimeout(timer)));
  }));
}

/** The formatters, for `what` (a PageTracer method); throws while they are still loading. */
export function pageFormats(what: string): PageFormats {
  if (formats) return formats;
  throw new Error(`wasm-ftrace: ${what} cannot format: ${FILE} ${failure ? `did not load (${failure})` : 'is still loading (attach() started it; call this from a later task)'}`);
}
