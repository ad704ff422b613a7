/**
 * The instrument pass, as the interceptor sees it: a function injected from
 * outside, so that the interceptor (and a runtime bundle built on it) never
 * loads binaryen.js unless someone hands it the pass.
 *
 * `InterceptOptions.pass` injects it per interceptor; provideInstrumenter()
 * sets the default for interceptors installed without one (the full browser
 * library does, on load; the small runtime, wasm-ftrace/runtime, does not,
 * and traces only modules instrumented beforehand).
 */
import type { InstrumentOptions, InstrumentResult } from '../instrument/pass.js';

export type Instrumenter = (bytes: Uint8Array, options: InstrumentOptions) => InstrumentResult;

/**
 * The pass run elsewhere, for asynchronous compiles: a Worker with its own
 * binaryen.js (worker-pass.ts), so a big module does not freeze the page.
 * It drops globs that match nothing as instrumentSelecting() does; null:
 * `only` selects no function. Rejects with a WorkerFailure when the worker
 * itself cannot run (then the pass on this thread is used, if any).
 */
export type AsyncInstrumenter = (bytes: Uint8Array, options: InstrumentOptions) => Promise<InstrumentResult | null>;

export class WorkerFailure extends Error {
  override name = 'WorkerFailure';
}

let provided: Instrumenter | undefined;
let providedAsync: AsyncInstrumenter | undefined;

/** Sets the off-thread pass used by interceptors installed without one (asynchronous compiles only). */
export function provideAsyncInstrumenter(pass: AsyncInstrumenter | undefined): void {
  providedAsync = pass;
}

export function providedAsyncInstrumenter(): AsyncInstrumenter | undefined {
  return providedAsync;
}

/** Sets the pass used by interceptors installed without one. */
export function provideInstrumenter(pass: Instrumenter): void {
  provided = pass;
}

export function providedInstrumenter(): Instrumenter | undefined {
  return provided;
}

/** Why a module stays untraced when the interceptor has no pass. */
export const NOT_INSTRUMENTED =
  'it is not instrumented, and wasm-ftrace/runtime does not instrument: instrument it at build time ' +
  '(`npx wasm-ftrace instrument app.wasm -o app.wasm`, or the wasm-ftrace/vite or wasm-ftrace/webpack plugin), ' +
  'or load the full drop-in wasm-ftrace/browser/auto instead';
