/**
 * What the hook-overhead benchmark runs: a workload is a module, the imports
 * it needs and one call that does its work. Specs are plain data, so that a
 * worker thread can rebuild the same workload from its workerData.
 *
 * - `wasm`: a module called through one export, with WASI
 *   (wasi_snapshot_preview1) imports when it has them; any other import is
 *   an error naming it (the CLI's `bench` and the `fib` / `c` workloads).
 * - `wasm-bindgen`: a module driven by its own wasm-bindgen glue (resvg): the
 *   glue builds the import object, and we catch it where it reaches
 *   `WebAssembly.instantiate`, then instantiate the variant under test with
 *   those imports (plus the scenario's). Each instance gets a fresh copy of
 *   the glue (imported with a query string), because wasm-bindgen glue keeps
 *   its instance in module state.
 *
 * Node-only. Loads no binaryen: workers import this (build.ts has the binaryen part).
 */

export interface WasmWorkloadSpec {
  kind: 'wasm';
  id: string;
  label: string;
  /** the original module */
  bytes: Uint8Array;
  /** the export each run calls, and its arguments */
  invoke: string;
  args: (number | bigint)[];
  /** a traced function the run never calls (the `filtered` scenario); found by counting when absent */
  never?: string;
}

export interface WasmBindgenWorkloadSpec {
  kind: 'wasm-bindgen';
  id: string;
  label: string;
  bytes: Uint8Array;
  /** file: URL of the package's ESM glue (it must export `initWasm(module)`) */
  glue: string;
  /** what a run does with the glue's exports; only 'resvg-render' is known */
  task: 'resvg-render';
  /** the SVG a resvg-render run renders to PNG */
  svg: string;
  never?: string;
}

export type WorkloadSpec = WasmWorkloadSpec | WasmBindgenWorkloadSpec;

/** One run of a workload, on one instance; returns something to compare across variants. */
export type RunFn = () => unknown;

/** Turns the workload's own import object into the one a scenario instantiates with. */
export type WrapImports = (imports: WebAssembly.Imports) => WebAssembly.Imports;

export interface WorkloadHost {
  /** Instantiates `module` with the workload's imports passed through `wrap`, calls `attach`, and returns the run. */
  instantiate(module: WebAssembly.Module, wrap: WrapImports, attach: (instance: WebAssembly.Instance) => void): Promise<RunFn>;
}

/** A failure of the benchmarked module or of the benchmark's input (not of the benchmark itself). */
export class BenchError extends Error {
  override name = 'BenchError';
}

export const WASI_MODULE = 'wasi_snapshot_preview1';

/** The imports of `bytes` that a `wasm` workload cannot provide ("module.name" each). */
export function unsupportedImports(bytes: Uint8Array): string[] {
  const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  return WebAssembly.Module.imports(module)
    .filter((i) => i.module !== WASI_MODULE)
    .map((i) => `${i.module}.${i.name}`);
}

export async function openWorkload(spec: WorkloadSpec): Promise<WorkloadHost> {
  if (spec.kind === 'wasm') return wasmHost(spec);
  if (spec.kind === 'wasm-bindgen') return bindgenHost(spec);
  throw new BenchError(`unknown workload kind '${(spec as { kind: string }).kind}'`);
}

async function wasmHost(spec: WasmWorkloadSpec): Promise<WorkloadHost> {
  const original = new WebAssembly.Module(spec.bytes as Uint8Array<ArrayBuffer>);
  const needsWasi = WebAssembly.Module.imports(original).some((i) => i.module === WASI_MODULE);
  // node:wasi prints an ExperimentalWarning when loaded: load it only when needed.
  const { WASI } = needsWasi ? await import('node:wasi') : { WASI: undefined };
  return {
    async instantiate(module, wrap, attach) {
      const wasi = WASI ? new WASI({ version: 'preview1', args: [spec.id], env: {}, returnOnExit: true }) : undefined;
      const base: WebAssembly.Imports = wasi ? (wasi.getImportObject() as WebAssembly.Imports) : {};
      let instance: WebAssembly.Instance;
      try {
        instance = new WebAssembly.Instance(module, wrap(base));
      } catch (e) {
        throw new BenchError(`instantiation failed: ${(e as Error).message}`);
      }
      attach(instance);
      if (wasi) initializeWasi(wasi, instance);
      const fn = instance.exports[spec.invoke];
      if (typeof fn !== 'function') throw new BenchError(`the module has no exported function '${spec.invoke}'`);
      const f = fn as (...a: unknown[]) => unknown;
      const args = spec.args;
      return () => f(...args);
    },
  };
}

/**
 * Lets WASI calls made by the invoked export work: a reactor is initialized;
 * a command (it has `_start`, which we do not run) only gets its memory
 * connected, through an object that shows WASI the memory alone.
 */
function initializeWasi(wasi: { initialize(instance: object): void }, instance: WebAssembly.Instance): void {
  const memory = instance.exports['memory'];
  if (!(memory instanceof WebAssembly.Memory)) return;
  try {
    if (typeof instance.exports['_start'] === 'function') wasi.initialize({ exports: { memory } });
    else wasi.initialize(instance);
  } catch {
    // a module WASI cannot set up: calls into WASI will fail, the rest runs
  }
}

let glueCopies = 0;

async function bindgenHost(spec: WasmBindgenWorkloadSpec): Promise<WorkloadHost> {
  if (spec.task !== 'resvg-render') throw new BenchError(`unknown wasm-bindgen task '${String(spec.task)}'`);
  return {
    async instantiate(module, wrap, attach) {
      const glue = (await import(`${spec.glue}?instance=${++glueCopies}`)) as ResvgGlue;
      const W = WebAssembly as { instantiate: unknown };
      const original = W.instantiate;
      let caught = false;
      // The glue calls WebAssembly.instantiate(module, imports) once, with the import object it built.
      W.instantiate = async (_source: unknown, imports: WebAssembly.Imports) => {
        caught = true;
        const instance = new WebAssembly.Instance(module, wrap(imports));
        attach(instance);
        return instance;
      };
      try {
        await glue.initWasm(module);
      } finally {
        W.instantiate = original;
      }
      if (!caught) throw new BenchError(`${spec.glue} did not instantiate through WebAssembly.instantiate`);
      const svg = spec.svg;
      return () => {
        const r = new glue.Resvg(svg);
        const image = r.render();
        const png = image.asPng();
        image.free();
        r.free();
        return png.length;
      };
    },
  };
}

interface ResvgGlue {
  initWasm(module: WebAssembly.Module): Promise<void>;
  Resvg: new (svg: string) => { render(): { asPng(): Uint8Array; free(): void }; free(): void };
}

/** A small scene for resvg: a gradient, strokes, a dash pattern, curves, opacity and a group transform. */
export const RESVG_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#f80"/><stop offset="1" stop-color="#08f"/></linearGradient></defs>
<rect x="4" y="4" width="88" height="88" rx="10" fill="url(#g)" stroke="#222" stroke-width="2"/>
<circle cx="48" cy="48" r="22" fill="none" stroke="#fff" stroke-width="5" stroke-dasharray="7 3"/>
<path d="M12 80 Q48 8 84 80" fill="none" stroke="#000" stroke-opacity="0.5" stroke-width="3"/>
<g transform="rotate(20 48 48)" opacity="0.8"><rect x="36" y="36" width="24" height="24" fill="#3a3"/><ellipse cx="48" cy="48" rx="6" ry="10" fill="#ff0"/></g>
<polyline points="8,60 20,50 32,64 44,48 56,66 68,52 80,62 92,46" fill="none" stroke="#c0c" stroke-width="2" stroke-linejoin="round"/>
</svg>`;
