// Mutation testing of the ftrace core (npm run mutate; not in CI: minutes).
// Each mutant of src/ftrace runs the core's tests (vitest.mutate.config.ts).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts' },
  mutate: ['src/ftrace/**/*.ts', '!src/ftrace/index.ts'],
  coverageAnalysis: 'perTest',
  // two cores, shared
  concurrency: 2,
  // a killed mutant fails its first test: stop there
  disableBail: false,
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  thresholds: { high: 95, low: 90, break: 90 },
  ignorePatterns: ['dist', 'reports', 'bench/results', 'examples', 'test-artifacts', 'scratch'],
  tempDirName: '.stryker-tmp',
  // a mutant that loops is cut off soon after the tests' own time
  timeoutMS: 5000,
  // module-level mutants would need every test run again for each: left out (reported as ignored)
  ignoreStatic: true,
  // a second run retests only the mutants whose code or covering tests changed
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
};
