/**
 * Tracing a web page: attach() traces every wasm module the page loads from
 * now on and gives a small control API, also installed as
 * `globalThis.wasmFtrace` so it can be driven from the DevTools console:
 *
 *   wasmFtrace.stop(); wasmFtrace.text(); wasmFtrace.clear(); wasmFtrace.start()
 *
 * Browser-safe: no Node APIs (it works in Node too). The drop-in script
 * (page-auto.ts, dist/browser/auto.js) calls attach() with options read from
 * its <script> element's data attributes.
 */
import type { FtraceTextOptions } from '../output/ftrace-text.js';
import type { TraceData } from '../ring/event.js';
import type { TraceArray } from '../tracers/trace-array.js';
import { installInterceptor, type InterceptedModule, type Interceptor } from './intercept.js';
import { pageClockOptions } from './page-clock.js';
import { provideInterfaces } from './page-pass.js';
import { loadFormats, pageFormats } from './page-formats.js';
import { DEFAULT_MEMORY_KB, TraceSpill } from './page-spill.js';
import { WorkerFailure, type AsyncInstrumenter } from './instrumenter.js';
import { traceArrayFrom, type TraceOptions } from './trace-options.js';
import type { Viewer } from '../viewer/main.js';

/** The name of the control API on globalThis. */
export const GLOBAL_NAME = 'wasmFtrace';

export interface AttachOptions extends TraceOptions {
  /** start with tracing_on off (start() turns it on); default true */
  tracingOn?: boolean;
  /** install the API as globalThis[global] (default 'wasmFtrace'); false: don't */
  global?: string | false;
  /** a module left untraced, or an instance not registered (default: console.warn) */
  onError?: (error: unknown, module?: InterceptedModule) => void;
  /**
   * Memory for events beyond the ring buffer, in KiB (default 131072: 128 MiB,
   * about 4.3 M events): each time the ring fills it is drained into memory,
   * so nothing is lost until this budget is spent; then the console says so.
   * 0: the ring alone (it still says so when it first fills).
   */
  memoryKb?: number;
  /**
   * Instrument modules compiled asynchronously in a Worker when the library
   * provides one (the full library does: dist/browser/instrument-worker.js);
   * false: on the page's thread. Default true.
   */
  instrumentInWorker?: boolean;
  /**
   * The small runtime (wasm-ftrace/runtime), opt-in: the URL of the
   * instrumenting worker (`wasm-ftrace/dist/browser/instrument-worker.js`).
   * A module that arrives uninstrumented through an asynchronous compile is
   * then instrumented there, binaryen.js loaded only when the first such
   * module comes; a synchronous `new WebAssembly.Module` still is not.
   */
  instrumentWorker?: string | URL;
  /** where the console messages go (default: console.warn) */
  warn?: (message: string) => void;
}

export interface PageTracer {
  /** the trace array: tracer, ring buffer, filters (the full API) */
  readonly trace: TraceArray;
  readonly interceptor: Interceptor;
  /** every distinct module the page loaded since attach(), traced or not */
  readonly modules: readonly InterceptedModule[];
  /** tracing_on = 1 */
  start(): void;
  /** tracing_on = 0: events are no longer written (the hooks stay) */
  stop(): void;
  readonly tracing: boolean;
  /** `echo > trace`: empties the buffer (and the profiler's counters) */
  clear(): void;
  /** the trace as data: what was kept in memory, then the ring buffer (both are left as they are) */
  read(): TraceData;
  /**
   * The trace as a data file (what `wasm-ftrace record` writes): `wasm-ftrace
   * report page.data` reads it. In a page, also downloads it as `fileName`
   * (default 'page.data'; '' downloads nothing). Moves what the ring holds
   * into memory first.
   */
  save(fileName?: string): Promise<Uint8Array>;
  /**
   * The trace in the viewer (timeline, flame graph, profile), loaded on
   * demand: mounted into `element`, or into an overlay over the page (its
   * close button removes it). A snapshot: call again for newer events.
   */
  view(element?: HTMLElement): Promise<Viewer>;
  /** ftrace's text (`cat trace`) */
  text(options?: FtraceTextOptions): string;
  /** Chrome trace JSON (Perfetto, chrome://tracing) */
  chrome(): string;
  /** folded stacks (flamegraph.pl, speedscope) */
  folded(): string;
  /** the function profile (trace_stat/function): live counters with the profiler tracer, else computed from the trace */
  profile(): string;
  /** counters: entries (kept in memory and in the ring), written, lost, ... */
  readonly stats: TraceArray['stats'];
  /** Filter expressions that match no function in any module the page loaded so far: errors once it has loaded all. */
  unmatchedFilters(): { option: string; text: string }[];
  /** Puts WebAssembly back and removes the global; modules loaded meanwhile stay instrumented (and their events stop with stop()). */
  detach(): void;
}

/** Traces every wasm module the page loads from now on. One attach at a time (detach() first). */
export function attach(options: AttachOptions = {}): PageTracer {
  const tr = traceArrayFrom(options, pageClockOptions(options.clock));
  if (tr.clockInfo?.note) console.warn(`wasm-ftrace: ${tr.clockInfo.note}`);
  if (options.tracingOn === false) tr.tracingOn = false;
  const warn = options.warn ?? ((m: string) => console.warn(m));
  const spill = new TraceSpill(tr, (options.memoryKb ?? DEFAULT_MEMORY_KB) * 1024, warn);
  const started = new Date().toISOString();
  // filters come before any module: one that matches nothing in the first is said at once (unmatchedFilters() later)
  tr.onWarning((w) => console.warn(`wasm-ftrace: ${w}`));

  // the small runtime loads its formatters now; asynchronous compiles wait for them (page-formats.ts)
  const formatsLoading = loadFormats(warn);
  const ins = options.instrument ?? {};
  const interceptor = installInterceptor(tr, {
    ...(formatsLoading ? { holdResults: formatsLoading } : {}),
    instrument: { ...(ins.only ? { only: ins.only } : {}), ...(ins.notrace ? { notrace: ins.notrace } : {}) },
    exitHooks: ins.exitHooks ?? tr.tracer.needsExitHooks,
    ...(options.instrumentInWorker === false
      ? { asyncPass: null }
      : options.instrumentWorker !== undefined
        ? { asyncPass: instrumentWorker(options.instrumentWorker) }
        : {}),
    onError:
      options.onError ??
      ((e, m) => warn(`wasm-ftrace: ${m ? `module ${m.name}` : 'a module'} ${m?.status === 'traced' ? 'instance not traced' : 'left untraced'}: ${e instanceof Error ? e.message : String(e)}`)),
  });

  const format = (what: 'text' | 'chrome' | 'folded' | 'profile', o?: FtraceTextOptions): string => pageFormats(`${what}()`)[what](() => spill.read(), tr, o);
  const globalName = options.global === undefined ? GLOBAL_NAME : options.global;
  const api: PageTracer = {
    trace: tr,
    interceptor,
    get modules() {
      return interceptor.modules;
    },
    start() {
      tr.tracingOn = true;
    },
    stop() {
      tr.tracingOn = false;
    },
    get tracing() {
      return tr.tracingOn;
    },
    clear() {
      tr.ring.reset();
      spill.reset();
      tr.tracer.resetStat?.(tr);
    },
    read: () => spill.read(),
    async save(fileName = 'page.data') {
      spill.drain();
      const { encodePageTrace, download } = await import('./page-save.js');
      const bytes = encodePageTrace(tr, spill.chunks, started);
      if (fileName && typeof document !== 'undefined') download(bytes, fileName);
      return bytes;
    },
    async view(element) {
      const { openViewer } = await import('./page-view.js');
      return openViewer(() => spill.read(), element);
    },
    text: (o) => format('text', o),
    chrome: () => format('chrome'),
    folded: () => format('folded'),
    profile: () => format('profile'),
    get stats() {
      const s = tr.stats;
      return { ...s, entries: s.entries + spill.events };
    },
    unmatchedFilters: () => tr.unmatchedFilters(),
    detach() {
      interceptor.uninstall();
      const g = globalThis as Record<string, unknown>;
      if (globalName && g[globalName] === api) delete g[globalName];
    },
  };
  if (globalName) (globalThis as Record<string, unknown>)[globalName] = api;
  return api;
}

/**
 * The opt-in instrumenting worker at `url` (worker-pass.ts), its code loaded
 * with the first module that needs it: the small runtime keeps it in a file
 * of its own (runtime-worker-pass.js), with the interface reading it needs.
 */
function instrumentWorker(url: string | URL): AsyncInstrumenter {
  let pass: Promise<AsyncInstrumenter> | undefined;
  return (bytes, o) =>
    (pass ??= import('./page-worker-pass.js').then(
      (m) => (provideInterfaces(m), m.workerInstrumenter(() => new Worker(url, { type: 'module' }))),
      (e: unknown) => {
        throw new WorkerFailure(`the instrumenting worker did not start: ${e instanceof Error ? e.message : String(e)}`);
      },
    )).then((p) => p(bytes, o));
}
