/**
 * wasm-ftrace for browsers: the library entry point of the browser bundle
 * (dist/browser/wasm-ftrace.js, `wasm-ftrace/browser`).
 *
 * The same API as the Node entry (src/index.ts), plus what a page needs: the
 * data file decoder, the interceptor and the page runtime (attach()). Only
 * browser-safe modules are re-exported here, never src/index.ts itself, so
 * nothing that imports `node:*` can reach the bundle.
 */
import { instrument } from './instrument/pass.js';
import { provideAsyncInstrumenter, provideInstrumenter } from './runtime/instrumenter.js';
import { workerInstrumenter } from './runtime/worker-pass.js';
import * as pageFormat from './runtime/page-format.js';
import { provideFormats } from './runtime/page-formats.js';

// The full library instruments: interceptors installed without a pass (attach()) use this one,
// and for asynchronous compiles a module Worker with its own binaryen.js (dist/browser/instrument-worker.js),
// so a big module does not freeze the page. (This `new Worker(new URL(...))` is the form bundlers follow.)
provideInstrumenter(instrument);
if (typeof Worker === 'function') provideAsyncInstrumenter(workerInstrumenter(() => new Worker(new URL('./instrument-worker.js', import.meta.url), { type: 'module' })));
// attach()'s text(), chrome(), folded() and profile() format at once (the small runtime loads them: page-formats.ts)
provideFormats(pageFormat);

export { instrument, InstrumentError } from './instrument/pass.js';
export type { InstrumentErrorKind, InstrumentErrorFields } from './instrument/pass.js';
export type { InstrumentOptions, InstrumentResult, InstrumentStats } from './instrument/pass.js';
export * from './ftrace/index.js';
export { ABI, HOST_IP, functionName, isAbiExport, METADATA_SECTION, METADATA_VERSION, encodeMetadata, decodeMetadata, readModuleMetadata, isStaticData, compileGlob, matchesAny, FilterSpec, resolveFilter, engineHasMultiMemory } from './abi/index.js';
export type { FunctionNames, FtraceMetadata, StaticDataBounds, Glob, GlobKind, FilterExpr, FilterCommand } from './abi/index.js';
export * from './tracers/index.js';
export * from './ring/index.js';
export * from './output/index.js';
export * from './datafile/index.js';
export { installInterceptor, provideInstrumenter, provideAsyncInstrumenter, sha256Hex } from './runtime/intercept.js';
export { workerInstrumenter } from './runtime/worker-pass.js';
export type { InterceptOptions, Interceptor, InterceptedModule, InterceptedStatus, Instrumenter, AsyncInstrumenter, ModuleNameInfo } from './runtime/intercept.js';
export { attach, GLOBAL_NAME } from './runtime/page.js';
export { optionsFromDataset } from './runtime/dataset-options.js';
export type { AttachOptions, PageTracer } from './runtime/page.js';
