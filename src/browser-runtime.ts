/**
 * wasm-ftrace's small browser runtime (dist/browser/runtime.js,
 * `wasm-ftrace/runtime`): what a page needs to trace modules that arrive
 * already instrumented (by `wasm-ftrace instrument`, or at build time by the
 * wasm-ftrace/vite or wasm-ftrace/webpack plugin), without binaryen.js: the
 * interceptor, the core, the tracers, the ring buffer, the outputs and
 * attach() / `globalThis.wasmFtrace`. An uninstrumented module is left
 * untraced with one console warning naming it and saying how to instrument
 * it (src/runtime/instrumenter.ts): the interceptor is given no pass.
 *
 *   import { attach } from 'wasm-ftrace/runtime';
 *   attach({ tracer: 'function_graph' });
 *
 * Only what a page drives is exported, so that the rest shakes out:
 * scripts/build-browser.mjs holds the bundle to its size budget, and what a
 * page needs only later (save(), view(), the formatters of text() & co., the
 * opt-in instrumenting worker's client) comes in files of their own, loaded
 * on demand. optionsFromDataset (attach()'s options from data attributes) is
 * `wasm-ftrace/runtime/dataset`. The full API is `wasm-ftrace/browser`.
 * Browser-safe: no Node APIs.
 */
export { attach, GLOBAL_NAME } from './runtime/page.js';
export type { AttachOptions, PageTracer } from './runtime/page.js';
export { installInterceptor } from './runtime/intercept.js';
export type { InterceptOptions, Interceptor, InterceptedModule, InterceptedStatus, Instrumenter, ModuleNameInfo } from './runtime/intercept.js';
export { TraceArray } from './tracers/trace-array.js';
export { registerTracer, TRACERS } from './tracers/registry.js';
export type { Tracer } from './tracers/tracer.js';
