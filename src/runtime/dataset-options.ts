/**
 * attach()'s options from a <script> element's data attributes: what the
 * drop-in script (page-auto.ts) starts the library with. The small runtime
 * leaves this out of runtime.js (a page that imports the runtime passes its
 * options itself); a bootstrap of one's own takes it from
 * `wasm-ftrace/runtime/dataset` (dist/browser/runtime-dataset.js).
 * Browser-safe: no Node APIs.
 */
import type { AttachOptions } from './page.js';

/**
 * AttachOptions from data attributes (a <script> element's `dataset`):
 * data-tracer, data-clock, data-buffer-kb, data-memory-kb, data-overwrite, data-filter,
 * data-notrace, data-graph-function, data-graph-notrace, data-depth,
 * data-only, data-skip (the pass's notrace globs), data-exit-hooks,
 * data-tracing-on, data-instrument-in-worker, data-global. Unknown attributes are ignored; a bad
 * value throws.
 */
export function optionsFromDataset(data: Record<string, string | undefined>): AttachOptions {
  const o: Record<string, unknown> = {};
  const num = (key: string): number | undefined => {
    const v = data[key];
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`wasm-ftrace: data-${kebab(key)}="${v}" is not a whole number`);
    return n;
  };
  const bool = (key: string): boolean | undefined => {
    const v = data[key];
    if (v === undefined) return undefined;
    if (v === '' || v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    throw new Error(`wasm-ftrace: data-${kebab(key)}="${v}" is not true or false`);
  };
  const globs = (key: string): string[] | undefined => {
    const v = data[key]?.trim();
    return v ? v.split(/[\s,]+/) : undefined;
  };
  // (tracer and clock are checked by the trace array)
  for (const key of ['tracer', 'clock', 'filter', 'notrace', 'graphFunction', 'graphNotrace']) if (data[key]) o[key] = data[key];
  for (const [key, option] of [['bufferKb', 'bufferKb'], ['memoryKb', 'memoryKb'], ['depth', 'maxGraphDepth']] as const) {
    const n = num(key);
    if (n !== undefined) o[option] = n;
  }
  for (const key of ['overwrite', 'instrumentInWorker', 'tracingOn']) {
    const b = bool(key);
    if (b !== undefined) o[key] = b;
  }
  const only = globs('only');
  const skip = globs('skip');
  const exitHooks = bool('exitHooks');
  if (only || skip || exitHooks !== undefined) o['instrument'] = { ...(only ? { only } : {}), ...(skip ? { notrace: skip } : {}), ...(exitHooks !== undefined ? { exitHooks } : {}) };
  if (data['global'] !== undefined) o['global'] = data['global'] === '' || data['global'] === 'false' ? false : data['global'];
  return o as AttachOptions;
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
