// `npx vite examples/vite` serves this page with recursion.wasm instrumented on
// the fly; `npx vite build examples/vite` emits it instrumented (build: true).
import wasmFtrace from 'wasm-ftrace/vite';

export default {
  plugins: [wasmFtrace({ tracer: 'function_graph', build: true })],
};
