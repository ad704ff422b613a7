/**
 * What the opt-in instrumenting worker needs on the page's side (attach({
 * instrumentWorker })): its client, and the reading of the original interface
 * of the modules it instruments (module-interface.ts). Loaded on demand by
 * page.ts (the small runtime keeps it in runtime-worker-pass.js).
 */
export { workerInstrumenter } from './worker-pass.js';
export { readInterface, originalImports, originalExports } from './module-interface.js';
