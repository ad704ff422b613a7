/** Timing helpers shared by the benchmark's main thread and its workers. */

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Times `repeat` calls of `run`: ms per call. */
export function sample(run: () => unknown, repeat: number): number {
  const t0 = performance.now();
  for (let k = 0; k < repeat; k++) run();
  return (performance.now() - t0) / repeat;
}

/**
 * Runs each of `runs` until V8 has tiered them up: at least `minSamples`
 * samples and `minMs`, and then until no sample of any of them has beaten
 * its best by 5% for `minMs / 2` (tier-up of a large module happens on
 * background threads and can take seconds on a busy machine). Gives up
 * after 20 x minMs.
 */
export function warmUp(runs: readonly (() => unknown)[], repeat: number, minSamples: number, minMs: number): void {
  const best = runs.map(() => Infinity);
  const t0 = performance.now();
  let improved = t0;
  for (let i = 0; ; i++) {
    runs.forEach((run, k) => {
      const t = sample(run, repeat);
      if (t < best[k]! * 0.95) improved = performance.now();
      if (t < best[k]!) best[k] = t;
    });
    const now = performance.now();
    if (now - t0 > 20 * minMs) return;
    if (i + 1 >= minSamples && now - t0 >= minMs && now - improved >= minMs / 2) return;
  }
}
