/**
 * The in-wasm recorder against the JS hook on `wasm-opt -ttf` modules: same
 * transcripts (and the original's), same events with the counter clock, same
 * stats, for the function and function_graph tracers. The rules are in
 * test/fuzz/in-wasm.ts. Needs multi-memory (Node >= 22): CI runs it on
 * Node 24 (test:matrix). Longer runs: `npm run fuzz:in-wasm -- --seeds 1000`.
 *
 * FUZZ_IN_WASM_FROM / FUZZ_IN_WASM_SEEDS override the seed range.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { engineHasMultiMemory } from '../src/index.js';
import { ModuleGenerator } from './fuzz/generate.js';
import { checkInWasm, InWasmSummary, ringRecordsFor } from './fuzz/in-wasm.js';
import { saveToCorpus } from './fuzz/run.js';

const FROM = Number(process.env['FUZZ_IN_WASM_FROM'] ?? 1);
const SEEDS = Number(process.env['FUZZ_IN_WASM_SEEDS'] ?? 100);

const generator = new ModuleGenerator();
afterAll(() => generator.dispose());

describe.skipIf(!engineHasMultiMemory())('in-wasm recorder fuzz: the trace memory records what the JS hook records', () => {
  it(`agrees on ${SEEDS} wasm-opt -ttf modules (seeds ${FROM}..${FROM + SEEDS - 1})`, async () => {
    const started = performance.now();
    const summary = new InWasmSummary();
    for (let seed = FROM; seed < FROM + SEEDS; seed++) {
      let bytes: Uint8Array;
      try {
        bytes = await generator.generate(seed);
      } catch (e) {
        summary.add(seed, { status: 'skip', reason: `generation failed: ${(e as Error).message}` });
        continue;
      }
      const v = checkInWasm(bytes, ringRecordsFor(seed));
      summary.add(seed, v, v.status === 'disagree' ? saveToCorpus(seed, bytes) : undefined);
    }
    const report = `${summary.format()}\ntime: ${((performance.now() - started) / 1000).toFixed(1)} s`;
    console.log(report);
    expect(summary.disagreements.map((d) => `seed ${d.seed}: ${d.reason}`), report).toEqual([]);
    // Not vacuous: most modules ran and recorded.
    expect(summary.agreed, report).toBeGreaterThan(0.9 * SEEDS);
    expect(summary.modulesWithEvents, report).toBeGreaterThan(0.8 * SEEDS);
    expect(summary.events, report).toBeGreaterThan(50 * SEEDS);
    expect(summary.inWasmRecords, report).toBeGreaterThan(20 * SEEDS);
  }, 600_000);

  it('notices a host that writes a marker without draining the trace memory first', async () => {
    let caught = 0;
    let checked = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const bytes = await generator.generate(seed);
      if (checkInWasm(bytes).status !== 'agree') continue;
      checked++;
      if (checkInWasm(bytes, undefined, 'marker-without-flush').status === 'disagree') caught++;
    }
    expect(checked).toBeGreaterThan(3);
    expect(caught).toBe(checked);
  });
});
