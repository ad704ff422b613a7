// `npx webpack -c examples/webpack/webpack.config.js` builds dist/ next to this
// file; index.html loads it. The plugin instruments the emitted .wasm and puts
// the small runtime first in the bundle (mode development, or build: true).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WasmFtracePlugin } from 'wasm-ftrace/webpack';

const here = path.dirname(fileURLToPath(import.meta.url));

export default {
  mode: 'production',
  context: here,
  entry: './src/index.js',
  output: { path: path.join(here, 'dist'), publicPath: 'auto', clean: true },
  plugins: [new WasmFtracePlugin({ tracer: 'function_graph', build: true })],
};
