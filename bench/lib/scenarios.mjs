/**
 * The scenarios the instrument-time benchmark times, and the phase marks that
 * split each run. Shared by the main bench (warm, interleaved rounds) and
 * cold-run.mjs (one run in a fresh process).
 *
 * Phases come from wrapping binaryen.readBinary, WebAssembly.validate and the
 * read module's emitBinary/dispose before dist/ loads (the pass takes
 * readBinary from binaryen at load time), so the pass's code is not copied.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import binaryen from 'binaryen';

setFlagsFromString('--expose-gc');
export const gc = runInNewContext('gc');

// The pass takes readBinary from binaryen when dist/ loads, so wrap it first.
const originalReadBinary = binaryen.readBinary;
export const originalValidate = WebAssembly.validate;
let marks = null; // [label, time][] while a run is being timed
const mark = (label) => marks?.push([label, performance.now()]);
binaryen.readBinary = function (...args) {
  mark('read:start');
  const mod = originalReadBinary.apply(this, args);
  mark('read:end');
  if (marks) {
    const emit = mod.emitBinary;
    const dispose = mod.dispose;
    mod.emitBinary = function (...a) {
      mark('emit:start');
      const out = emit.apply(this, a);
      mark('emit:end');
      return out;
    };
    mod.dispose = function (...a) {
      mark('dispose:start');
      const out = dispose.apply(this, a);
      mark('dispose:end');
      return out;
    };
  }
  return mod;
};
WebAssembly.validate = function (...args) {
  mark('validate:start');
  const ok = originalValidate.apply(this, args);
  mark('validate:end');
  return ok;
};
export const { instrument } = await import('../../dist/index.js');
const { READ_FEATURES } = await import('../../dist/instrument/binaryen.js');

/**
 * Phase durations of one run from its marks. The wrappers mark every
 * scenario the same way, so phases compare across scenarios.
 */
export const PHASES = [
  'JS before read (sections, names)',
  'binaryen read',
  'WebAssembly.validate',
  'between read and emit (rewrite / pass)',
  'binaryen emit',
  'JS after emit (data bounds, names, metadata)',
  'dispose',
];
function phases(t0, list, t1) {
  const at = (label) => list.find(([l]) => l === label)?.[1];
  const d = (a, b) => (at(a) !== undefined && at(b) !== undefined ? at(b) - at(a) : 0);
  return {
    [PHASES[0]]: at('read:start') - t0,
    [PHASES[1]]: d('read:start', 'read:end'),
    [PHASES[2]]: d('validate:start', 'validate:end'),
    [PHASES[3]]: at('emit:start') - (at('validate:end') ?? at('read:end')),
    [PHASES[4]]: d('emit:start', 'emit:end'),
    [PHASES[5]]: at('dispose:start') - at('emit:end'),
    [PHASES[6]]: d('dispose:start', 'dispose:end') + (t1 - at('dispose:end')),
  };
}

// -------------------------------------------------------------- scenarios
// Both go through the wrapped readBinary so that they are split into phases
// like instrument; the wrappers cost a few performance.now() calls a run.
function floor(bytes) {
  const mod = binaryen.readBinary(bytes, READ_FEATURES);
  binaryen.setDebugInfo(true);
  const out = mod.emitBinary();
  binaryen.setDebugInfo(false);
  mod.dispose();
  return out;
}

function logExecution(bytes) {
  const mod = binaryen.readBinary(bytes, READ_FEATURES);
  mod.runPasses(['log-execution']);
  binaryen.setDebugInfo(true);
  const out = mod.emitBinary();
  binaryen.setDebugInfo(false);
  mod.dispose();
  return out;
}

export const SCENARIOS = [
  { name: 'floor', run: floor },
  { name: 'instrument', run: (bytes) => instrument(bytes).binary },
  { name: 'instrument+exit', run: (bytes) => instrument(bytes, { exitHooks: true }).binary },
  { name: 'log-execution', run: logExecution },
];

/** One timed run, after a full GC: wall and process CPU time, phases, and the output. */
export function timeOnce(scenario, bytes) {
  gc();
  const list = [];
  marks = list;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = scenario.run(bytes);
  const t1 = performance.now();
  const cpu = process.cpuUsage(c0);
  marks = null;
  return { ms: t1 - t0, cpuMs: (cpu.user + cpu.system) / 1000, outBytes: out.length, phases: phases(t0, list, t1), out };
}
