/**
 * The fuzz loop shared by test/fuzz.test.ts (vitest) and run-long.mjs (plain
 * Node): seeds -> modules -> verdicts, a summary, and the corpus of modules
 * that once disagreed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { instrument } from '../../src/index.js';
import { CORPUS_DIR, ModuleGenerator } from './generate.js';
import { checkModule, type CheckOptions, type InstrumentVariant, type Verdict } from './harness.js';
import { readBinary, READ_FEATURES } from '../../src/instrument/binaryen.js';

export { CORPUS_DIR };

export interface SeedResult {
  seed: number;
  verdict: Verdict;
  /** generation failures are reported as a skip with this flag */
  generationFailed?: boolean;
  bytes?: Uint8Array;
}

/** What every module is checked with: the plain pass (guards on, then off), and with exit hooks. */
export const VARIANTS: InstrumentVariant[] = [{}, { exitHooks: true }];

/** Whether a module has return_call* (binaryen prints it), after which the engine's stack no longer shows the caller. */
export function hasTailCalls(bytes: Uint8Array): boolean {
  const mod = readBinary(bytes, READ_FEATURES);
  try {
    return mod.emitText().includes('return_call');
  } finally {
    mod.dispose();
  }
}

/** Checks one module with the project's instrument pass, the trace oracle on (or a deliberately broken pass). */
export function check(bytes: Uint8Array, options: Omit<CheckOptions, 'tailCalls'> = {}): Verdict {
  return checkModule(bytes, (b, v) => instrument(b, v), VARIANTS, { tailCalls: hasTailCalls, ...options });
}

/** Generates and checks each seed in turn. */
export async function* fuzzSeeds(seeds: Iterable<number>, generator = new ModuleGenerator()): AsyncGenerator<SeedResult> {
  for (const seed of seeds) {
    let bytes: Uint8Array;
    try {
      bytes = await generator.generate(seed);
    } catch (e) {
      yield { seed, verdict: { status: 'skip', reason: `generation failed: ${(e as Error).message}` }, generationFailed: true };
      continue;
    }
    yield { seed, verdict: check(bytes), bytes };
  }
}

/** Saves a module that disagreed as test/fuzz-corpus/seed-N.wasm; returns its path. */
export function saveToCorpus(seed: number, bytes: Uint8Array): string {
  fs.mkdirSync(CORPUS_DIR, { recursive: true });
  const file = path.join(CORPUS_DIR, `seed-${seed}.wasm`);
  fs.writeFileSync(file, bytes);
  return file;
}

export function corpusFiles(): string[] {
  if (!fs.existsSync(CORPUS_DIR)) return [];
  return fs
    .readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.wasm'))
    .sort()
    .map((f) => path.join(CORPUS_DIR, f));
}

/** What every fuzz summary counts: seeds, agreements, skips by reason, disagreements. */
export class SeedTally {
  seeds = 0;
  agreed = 0;
  skipped = new Map<string, number>();
  disagreements: { seed: number; reason: string; file?: string }[] = [];

  protected skip(reason: string): void {
    const key = reason.replace(/@\+\d+/g, '').replace(/#\d+/g, '#N').replace(/function #N(:"[^"]*")?/g, 'function #N').slice(0, 160);
    this.skipped.set(key, (this.skipped.get(key) ?? 0) + 1);
  }

  protected disagree(seed: number, reason: string, file?: string): void {
    this.disagreements.push({ seed, reason, ...(file ? { file } : {}) });
  }

  get skippedTotal(): number {
    let n = 0;
    for (const c of this.skipped.values()) n += c;
    return n;
  }

  /** The counts after `label`, then `details`, the skips by reason and every disagreement. */
  protected formatWith(label: string, details: string[]): string {
    const lines = [`${label}seeds: ${this.seeds}, agreed: ${this.agreed}, skipped: ${this.skippedTotal}, disagreed: ${this.disagreements.length}`, ...details];
    for (const [reason, n] of [...this.skipped].sort((a, b) => b[1] - a[1])) lines.push(`  skipped ${n}x: ${reason}`);
    for (const d of this.disagreements) lines.push(`  DISAGREE seed ${d.seed}: ${d.reason}${d.file ? ` (saved to ${d.file})` : ''}`);
    return lines.join('\n');
  }
}

/** Counts over a run. */
export class Summary extends SeedTally {
  instantiated = 0;
  calls = 0;
  uncallable = 0;
  mcount = 0;
  mcountExit = 0;
  modulesWithMcount = 0;
  hostLimits = 0;
  /** oracle: entries from JS naming the function whose indirect call had trapped (the pass's stated limit), and modules with such entries */
  staleAfterTrap = 0;
  modulesStaleAfterTrap = 0;
  /** oracle: function parents after a tail call, not checked */
  tailCallParents = 0;

  add(r: SeedResult, file?: string): void {
    this.seeds++;
    const v = r.verdict;
    if (v.status === 'skip') this.skip(v.reason);
    else if (v.status === 'disagree') this.disagree(r.seed, v.reason, file);
    else {
      this.agreed++;
      if (v.instantiated) this.instantiated++;
      this.calls += v.calls;
      this.uncallable += v.uncallable;
      this.mcount += v.mcount;
      this.mcountExit += v.mcountExit;
      if (v.mcount > 0) this.modulesWithMcount++;
      if (v.hostLimit) this.hostLimits++;
      this.staleAfterTrap += v.staleAfterTrap;
      if (v.staleAfterTrap > 0) this.modulesStaleAfterTrap++;
      this.tailCallParents += v.tailCallParents;
    }
  }

  format(): string {
    return this.formatWith('', [
      `instantiated: ${this.instantiated}, exports called: ${this.calls} (not callable from JS: ${this.uncallable}), ` +
        `mcount calls: ${this.mcount} (in ${this.modulesWithMcount} modules), mcount_exit calls: ${this.mcountExit}, ` +
        `stopped at a host limit: ${this.hostLimits}`,
      `oracle: every parent checked but ${this.tailCallParents} after tail calls; ${this.staleAfterTrap} entries (in ${this.modulesStaleAfterTrap} modules) named the function whose indirect call had just trapped (README, What the pass does)`,
    ]);
  }
}
