// The page's own code in the bundler examples (examples/vite, examples/webpack):
// it knows nothing of wasm-ftrace. The plugin instruments the .wasm and starts
// the runtime before this runs; the page only shows what was traced.
import { CALLS } from '../browser/calls.js';

const $ = (id) => document.getElementById(id);

export async function run(wasmUrl) {
  try {
    const { instance } = await WebAssembly.instantiateStreaming(fetch(wasmUrl));
    for (const [name, args] of CALLS) {
      const li = document.createElement('li');
      li.textContent = `${name}(${args.join(', ')}) = ${instance.exports[name](...args)}`;
      $('results').append(li);
    }
    const ft = globalThis.wasmFtrace;
    $('trace').textContent = ft ? ft.text() : 'not traced: the wasm-ftrace plugin is off for this build';
    $('status').textContent = ft ? `${ft.modules.length} module(s), ${ft.stats.written} events, ${ft.stats.lost} lost` : '';
    document.documentElement.dataset.state = 'done';
  } catch (e) {
    $('status').textContent = `error: ${e?.stack ?? e}`;
    document.documentElement.dataset.state = 'error';
  }
}
