// Mutation testing of the ftrace core (npm run mutate; not in CI: minutes).
// Each mutant of src/ftrace runs the core's tests (vitest.mutate.config.ts).
//
// One file at a time (minutes instead of tens of minutes on a loaded machine):
//   MUTATE_FILE=guest npm run mutate       src/ftrace/guest.ts only (a comma list
//                                          for several), its own incremental
//                                          file and JSON report
//   node scripts/mutation-summary.mjs      per-file counts and the survivors
//                                          of every report in reports/mutation/
// STRYKER_CONCURRENCY=1 for a machine shared with others.
const files = process.env.MUTATE_FILE?.split(',').filter(Boolean) ?? [];
const tag = files.length ? files.join('-') : 'all';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts' },
  mutate: files.length ? files.map((f) => `src/ftrace/${f}.ts`) : ['src/ftrace/**/*.ts', '!src/ftrace/index.ts'],
  coverageAnalysis: 'perTest',
  // two cores
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  // a killed mutant fails its first test: stop there
  disableBail: false,
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: `reports/mutation/${tag}.json` },
  htmlReporter: { fileName: `reports/mutation/${tag}.html` },
  thresholds: { high: 95, low: 90, break: 90 },
  ignorePatterns: ['dist', 'reports', 'bench/results', 'examples', 'test-artifacts', 'scratch'],
  tempDirName: '.stryker-tmp',
  // a mutant that loops is cut off soon after the tests' own time
  timeoutMS: 5000,
  // module-level mutants would need every test run again for each: left out (reported as ignored)
  ignoreStatic: true,
  // a second run retests only the mutants whose code or covering tests changed
  // (one incremental file per MUTATE_FILE: a run rewrites it with its own mutants only)
  incremental: true,
  incrementalFile: `reports/stryker-incremental-${tag}.json`,
};
