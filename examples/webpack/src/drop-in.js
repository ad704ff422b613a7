// The same page with the full drop-in instead of the plugin (webpack.drop-in.config.js):
// the library, binaryen.js inside, instruments recursion.wasm in the page.
import 'wasm-ftrace/browser/auto';
import { run } from '../../shared/traced-app.js';

run(new URL('../../../wasm-fixtures/build/recursion.wasm', import.meta.url));
