/**
 * One run of one scenario in a fresh process: what a CLI user pays, with
 * binaryen's wasm code not yet tiered up and the pass's JS not yet optimised.
 *
 *   node bench/lib/cold-run.mjs <scenario> <module.wasm>
 *
 * Prints one JSON line: { ms, cpuMs, outBytes, phases }. The time starts
 * after binaryen.js and dist/ are loaded (their start-up is the same for
 * every scenario).
 */
import { readFileSync } from 'node:fs';
import { SCENARIOS, timeOnce } from './scenarios.mjs';

const [name, path] = process.argv.slice(2);
const scenario = SCENARIOS.find((s) => s.name === name);
if (!scenario || !path) throw new Error(`usage: cold-run.mjs <${SCENARIOS.map((s) => s.name).join('|')}> <module.wasm>`);
const { ms, cpuMs, outBytes, phases } = timeOnce(scenario, new Uint8Array(readFileSync(path)));
process.stdout.write(JSON.stringify({ ms, cpuMs, outBytes, phases }) + '\n');
