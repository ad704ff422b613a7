/**
 * What the small browser runtime (`wasm-ftrace/runtime`, src/browser-runtime.ts)
 * has in place of the instrumenting pass: the browser build resolves
 * intercept.ts's import of ../instrument/pass.js to this file, so binaryen.js
 * never enters that bundle. A module that arrives uninstrumented is left
 * untraced, and the interceptor reports it with this error's message.
 */
import type { InstrumentOptions, InstrumentResult } from '../instrument/pass.js';

export class InstrumentError extends Error {
  override name = 'InstrumentError';
}

export const NOT_INSTRUMENTED =
  'it is not instrumented, and wasm-ftrace/runtime does not instrument: instrument it at build time ' +
  '(`npx wasm-ftrace instrument app.wasm -o app.wasm`, or the wasm-ftrace/vite or wasm-ftrace/webpack plugin), ' +
  'or load the full drop-in wasm-ftrace/browser/auto instead';

export function instrument(_bytes: Uint8Array, _options?: InstrumentOptions): InstrumentResult {
  throw new InstrumentError(NOT_INSTRUMENTED);
}
