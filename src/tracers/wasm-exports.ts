/**
 * The exported functions of every wasm instance the tracing runtime has
 * seen: the trace array notes those of its instances (attach), the
 * interceptor those of every instance it creates, traced or not. An import
 * that is one of them is wasm calling wasm, and is passed through unwrapped
 * (TraceArray.importsFor).
 *
 * Why a set and not a test of the function itself: engines give JS no
 * reliable way to tell an exported wasm function from a JS one
 * (`WebAssembly.Function` is a proposal; names and toString() differ by
 * engine). A wasm export the runtime never saw is wrapped, as before: it
 * works, at the cost of a JS hop (and v128 in its signature is refused).
 */
const exported = new WeakSet<object>();

export function noteWasmExports(instance: WebAssembly.Instance): void {
  for (const value of Object.values(instance.exports)) if (typeof value === 'function') exported.add(value);
}

export function isWasmExport(value: unknown): boolean {
  return typeof value === 'function' && exported.has(value);
}
