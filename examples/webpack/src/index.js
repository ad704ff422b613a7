import { run } from '../../shared/traced-app.js';

run(new URL('../../../wasm-fixtures/build/recursion.wasm', import.meta.url));
