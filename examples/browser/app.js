// The page's own code: it knows nothing of wasm-ftrace until it shows the trace.
import { CALLS, FIXTURE } from './calls.js';

const $ = (id) => document.getElementById(id);

async function main() {
  const { module, instance } = await WebAssembly.instantiateStreaming(fetch(`../../${FIXTURE}`));
  for (const [name, args] of CALLS) {
    const li = document.createElement('li');
    li.textContent = `${name}(${args.join(', ')}) = ${instance.exports[name](...args)}`;
    $('results').append(li);
  }
  // What the page's own checks would see: still the engine's objects.
  window.exampleChecks = {
    moduleIsModule: module instanceof WebAssembly.Module,
    instanceIsInstance: instance instanceof WebAssembly.Instance,
    imports: WebAssembly.Module.imports(module).map((d) => `${d.module}.${d.name}`),
    exports: WebAssembly.Module.exports(module).map((d) => d.name),
  };

  const ft = await globalThis.wasmFtraceReady;
  $('trace').textContent = ft.text();
  const s = ft.stats;
  // Chromium coarsens performance.now() to 100 us unless the page is cross-origin isolated (COOP + COEP headers): then 5 us.
  const timer = globalThis.crossOriginIsolated ? 'cross-origin isolated: 5 us timer' : 'not cross-origin isolated: durations in steps of 100 us';
  $('status').textContent = `${ft.modules.length} module(s) traced, ${s.written} events, ${s.lost} lost (${timer})`;

  // The trace viewer, when it has been built (npm run build).
  const viewerUrl = '../../dist/viewer/viewer.js';
  const head = await fetch(viewerUrl, { method: 'HEAD' }).catch(() => null);
  if (head?.ok) {
    const { mountViewer } = await import(viewerUrl);
    mountViewer($('viewer'), ft.read());
  }
}

main().then(
  () => (document.documentElement.dataset.state = 'done'),
  (e) => {
    document.documentElement.dataset.state = 'error';
    $('status').textContent = `error: ${e?.stack ?? e}`;
  },
);
