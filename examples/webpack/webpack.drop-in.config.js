// webpack's defaults and nothing else: the drop-in (wasm-ftrace/browser/auto) bundles as it is,
// its 13 MB library split into a chunk of its own. drop-in.html loads the result.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export default {
  mode: 'production',
  context: here,
  entry: './src/drop-in.js',
  output: { path: path.join(here, 'dist-drop-in'), clean: true },
};
