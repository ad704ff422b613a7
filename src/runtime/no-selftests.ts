/**
 * The tracers' selftests in the small runtime (wasm-ftrace/runtime): not
 * there. Its build (scripts/build-browser.mjs) gives src/tracers this module
 * where they import ./selftests.js, so that test code stays out of what a
 * page loads; each fails saying where the selftests are.
 */
import { selftestFailure } from '../tracers/tracer.js';

const absent = (tracer: string) => (): never => {
  throw selftestFailure(tracer, 'not in wasm-ftrace/runtime (wasm-ftrace and wasm-ftrace/browser run it)');
};

export const functionSelftest = absent('function');
export const nopSelftest = absent('nop');
export const functionGraphSelftest = absent('function_graph');
export const profilerSelftest = absent('profiler');
