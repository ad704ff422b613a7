/**
 * The mutation fuzzer, bounded by time (a few seconds a target): byte flips,
 * truncations and forged LEB counts and lengths over the wasm fixtures into
 * `instrument`; flips, truncations and forged lengths, counts and fields
 * (checksums re-sealed, so they reach the parsers) over a recorded data file
 * into every reader. Each case succeeds with valid output or gives one line
 * and exit 1, with no stack trace and no output file left. The long run:
 * `npm run fuzz:mutate` (test/fuzz/mutate-long.mjs).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// a plain ESM module shared with the long run (test/fuzz/mutate-long.mjs)
import * as m from './fuzz/mutate.mjs';

const BUDGET_MS = 4000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasm-ftrace-mutation-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Verdict {
  outcome?: string;
  bad?: string;
}

async function fuzz(check: (b: Uint8Array) => Verdict | Promise<Verdict>, mutate: (b: Uint8Array, r: unknown) => { kind: string; bytes: Uint8Array }, inputs: { name: string; bytes: Uint8Array }[], firstSeed: number) {
  const bad: string[] = [];
  const outcomes: Record<string, number> = {};
  const t0 = performance.now();
  let seed = firstSeed;
  // Time-bounded: as many cases as fit, at least 50; every one replayable from its seed.
  while (seed - firstSeed < 50 || performance.now() - t0 < BUDGET_MS) {
    const rnd = m.prng(seed);
    const input = rnd.pick(inputs) as { name: string; bytes: Uint8Array };
    const mut = mutate(input.bytes, rnd);
    const v = await check(mut.bytes);
    const o = v.bad ? 'bad' : v.outcome!;
    outcomes[o] = (outcomes[o] ?? 0) + 1;
    if (v.bad) bad.push(`seed ${seed} (${input.name}, ${mut.kind}): ${v.bad}`);
    seed++;
  }
  return { bad, outcomes, cases: seed - firstSeed };
}

describe('mutation fuzzing', () => {
  it('instrument: every mutant of every fixture is instrumented validly or refused in one line', async () => {
    const r = await fuzz(await m.instrumentChecker(), m.mutateWasm, m.wasmFixtures(), 1);
    expect(r.bad).toEqual([]);
    expect(r.outcomes['refused']).toBeGreaterThan(0);
  });

  it('readers: every mutant of a recorded data file is read or refused in one line by every reader', async () => {
    const data = await m.recordedDataFile(dir);
    const r = await fuzz(await m.readerChecker(dir), await m.dataFileMutator(), [{ name: 'hash.data', bytes: data }], 1);
    expect(r.bad).toEqual([]);
    expect(r.outcomes['refused']).toBeGreaterThan(0);
    expect(r.outcomes['ok']).toBeGreaterThan(0);
  });
});
