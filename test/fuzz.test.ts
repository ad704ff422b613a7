/**
 * Differential fuzz test of the instrument pass: binaryen's `wasm-opt -ttf`
 * turns fixed seeds into random valid modules; each runs before and after
 * instrumentation on this engine (plain, with the guards cleared, with exit
 * hooks), and the transcripts (results, traps, what the imports logged, final
 * memory/table/global state) must equal the original's.
 * See test/fuzz/harness.ts for the rules and test/fuzz-corpus/README.md for
 * the corpus. Longer runs: `npm run fuzz -- --seeds 5000 --from 1000`.
 *
 * FUZZ_FROM / FUZZ_SEEDS override the seed range (run-long.mjs does not need them).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import binaryen, { readBinary, READ_FEATURES } from '../src/instrument/binaryen.js';
import { instrument } from '../src/index.js';
import { ModuleGenerator, generateBySpawn } from './fuzz/generate.js';
import { checkModule, parseShape, runModule } from './fuzz/harness.js';
import { check, corpusFiles, fuzzSeeds, hasTailCalls, saveToCorpus, Summary } from './fuzz/run.js';

const FROM = Number(process.env['FUZZ_FROM'] ?? 1);
const SEEDS = Number(process.env['FUZZ_SEEDS'] ?? 400);

const generator = new ModuleGenerator();
afterAll(() => generator.dispose());

describe('differential fuzz: instrumented modules behave like the originals', () => {
  it(`agrees on ${SEEDS} wasm-opt -ttf modules (seeds ${FROM}..${FROM + SEEDS - 1})`, async () => {
    const started = performance.now();
    const summary = new Summary();
    const seeds = Array.from({ length: SEEDS }, (_, i) => FROM + i);
    for await (const r of fuzzSeeds(seeds, generator)) {
      const file = r.verdict.status === 'disagree' && r.bytes ? saveToCorpus(r.seed, r.bytes) : undefined;
      summary.add(r, file);
    }
    const report = `${summary.format()}\ntime: ${((performance.now() - started) / 1000).toFixed(1)} s`;
    console.log(report);
    expect(summary.disagreements.map((d) => `seed ${d.seed}: ${d.reason}`), report).toEqual([]);

    // Not vacuous: most modules ran, their exports were called, mcount fired.
    expect(summary.agreed, report).toBeGreaterThan(0.9 * SEEDS);
    expect(summary.instantiated, report).toBeGreaterThan(0.8 * SEEDS);
    expect(summary.calls, report).toBeGreaterThan(5 * SEEDS);
    expect(summary.modulesWithMcount, report).toBeGreaterThan(0.8 * SEEDS);
    expect(summary.mcount, report).toBeGreaterThan(10 * SEEDS);
    expect(summary.mcountExit, report).toBeGreaterThan(10 * SEEDS);
  }, 600_000);

  it('re-checks every module in test/fuzz-corpus', () => {
    const failures: string[] = [];
    for (const file of corpusFiles()) {
      const v = check(new Uint8Array(fs.readFileSync(file)));
      if (v.status === 'disagree') failures.push(`${path.basename(file)}: ${v.reason}`);
    }
    expect(failures).toEqual([]);
  });

  it('generates in-process exactly what the wasm-opt tool writes', async () => {
    for (const seed of [77]) {
      expect(Buffer.from(await generator.generate(seed)).equals(Buffer.from(generateBySpawn(seed))), `seed ${seed}`).toBe(true);
    }
  });

  it('the harness notices a pass that changes behaviour', async () => {
    const bytes = await generator.generate(10);
    expect(check(bytes).status).toBe('agree');
    // Another module's instrumented binary.
    const other = await generator.generate(11);
    expect(checkModule(bytes, () => instrument(other)).status).toBe('disagree');
    // One extra logging call at the top of every defined function.
    expect(checkModule(bytes, (b) => instrument(mutate(b, 'log'))).status).toBe('disagree');
    // Every exported function that returns a value returns a different one.
    expect(checkModule(bytes, (b) => instrument(mutate(b, 'result'))).status).toBe('disagree');
    // A hook that does not fire is noticed by the sanity counters.
    const shape = parseShape(bytes);
    expect(runModule(bytes, shape, { instrumented: true }).mcount).toBe(0);
    expect(runModule(instrument(bytes).binary, shape, { instrumented: true }).mcount).toBeGreaterThan(0);
  });

  it('the trace oracle fails the four broken passes the differential check alone lets through', async () => {
    const mutations = ['parent-host', 'drop-odd-prologues', 'wrong-ip', 'stale-caller'] as const;
    const caught: Record<string, number> = {};
    const missedWithoutOracle: Record<string, number> = {};
    let checked = 0;
    let withoutTailCalls = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const bytes = await generator.generate(seed);
      const v = check(bytes);
      if (v.status !== 'agree' || v.mcount === 0) continue;
      checked++;
      if (!hasTailCalls(bytes)) withoutTailCalls++;
      for (const m of mutations) {
        // what every earlier fuzz run checked: the transcripts and the hook counters
        if (check(bytes, { mutation: m, oracle: false }).status === 'agree') missedWithoutOracle[m] = (missedWithoutOracle[m] ?? 0) + 1;
        if (check(bytes, { mutation: m }).status === 'disagree') caught[m] = (caught[m] ?? 0) + 1;
      }
    }
    console.log(`oracle: ${checked} modules (${withoutTailCalls} without tail calls); caught ${JSON.stringify(caught)}; passed without the oracle ${JSON.stringify(missedWithoutOracle)}`);
    expect(checked).toBeGreaterThan(5);
    expect(withoutTailCalls).toBeGreaterThan(2);
    for (const m of mutations) {
      expect(missedWithoutOracle[m], m).toBeGreaterThan(0);
      // a function parent over JS is not checked after a tail call (the engine shows the caller's caller)
      expect(caught[m] ?? 0, m).toBeGreaterThanOrEqual(m === 'stale-caller' ? withoutTailCalls : Math.ceil(checked / 2));
    }
  });
});

/** Small behaviour changes made with binaryen, to show the harness sees them. */
function mutate(bytes: Uint8Array, how: 'log' | 'result'): Uint8Array {
  const raw = binaryen as unknown as Record<string, (...a: number[]) => number>;
  const mod = readBinary(bytes, READ_FEATURES);
  try {
    const fns = Array.from({ length: mod.getNumFunctions() }, (_, i) => binaryen.getFunctionInfo(mod.getFunctionByIndex(i)));
    if (how === 'log') {
      const logger = fns.find((f) => f.module === 'fuzzing-support' && f.base === 'log-i32');
      if (!logger) throw new Error('no log-i32 import');
      for (let i = 0; i < fns.length; i++) {
        const f = fns[i]!;
        if (f.module) continue;
        const ref = mod.getFunctionByIndex(i);
        const body = mod.block(null, [mod.call(logger.name, [mod.i32.const(12345)], binaryen.none), f.body], f.results);
        raw['_BinaryenFunctionSetBody']!(ref, body);
      }
    } else {
      for (let i = 0; i < mod.getNumExports(); i++) {
        const e = binaryen.getExportInfo(mod.getExportByIndex(i));
        if (e.kind !== binaryen.ExternalFunction) continue;
        const ref = mod.getFunction(e.value);
        const f = binaryen.getFunctionInfo(ref);
        if (f.module) continue;
        const plusOne =
          f.results === binaryen.i32 ? mod.i32.add(f.body, mod.i32.const(1))
          : f.results === binaryen.i64 ? mod.i64.add(f.body, mod.i64.const(1, 0))
          : f.results === binaryen.f32 ? mod.f32.add(f.body, mod.f32.const(1))
          : f.results === binaryen.f64 ? mod.f64.add(f.body, mod.f64.const(1))
          : 0;
        if (plusOne) raw['_BinaryenFunctionSetBody']!(ref, plusOne);
      }
    }
    mod.setFeatures(READ_FEATURES & ~binaryen.Features.GC);
    return mod.emitBinary();
  } finally {
    mod.dispose();
  }
}
