/**
 * The public types as a strict user meets them: what must compile, and what
 * must not (each @ts-expect-error fails the check when the line compiles).
 */
import { instrument, TraceArray, Ftrace, createGuestApi, type InstrumentResult, type GuestImports, type TracerName, type TraceClock } from 'wasm-ftrace';
import { attach } from 'wasm-ftrace/browser';

declare const bytes: Uint8Array;

// InstrumentResult.binary is a BufferSource as it comes.
const result: InstrumentResult = instrument(bytes, { exitHooks: true });
const module: WebAssembly.Module = new WebAssembly.Module(result.binary);
export const compiled: Promise<WebAssembly.Module> = WebAssembly.compile(result.binary);
export const valid: boolean = WebAssembly.validate(result.binary);

// The host's imports are import objects.
const ft = Ftrace.forModule(module);
const imports: WebAssembly.Imports = { ftrace: ft.imports };
declare const guest: GuestImports;
export const moduleImports: WebAssembly.ModuleImports = guest;
export const api = createGuestApi;
new WebAssembly.Instance(module, imports);

// Tracer names and clocks are string-literal unions.
const names: TracerName[] = ['nop', 'function', 'function_graph', 'profiler'];
const clocks: TraceClock[] = ['perf', 'counter', 'worker'];
export const tr = new TraceArray({ tracer: names[0]!, clock: clocks[0]! });
tr.setTracer('function_graph');
// @ts-expect-error a misspelt tracer
new TraceArray({ tracer: 'function_grph' });
// @ts-expect-error a clock that does not exist
new TraceArray({ clock: 'wall' });
// @ts-expect-error a misspelt tracer
tr.setTracer('functon');
// @ts-expect-error the browser runtime's options take the same union
attach({ tracer: 'graph' });

// A plugin's tracer name joins the union by declaration merging.
declare module 'wasm-ftrace' {
  interface TracerNames {
    my_tracer: true;
  }
}
tr.setTracer('my_tracer');
