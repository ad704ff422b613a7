/**
 * The tests `npm run mutate` runs against each mutant of src/ftrace: the
 * core's own tests, nothing that spawns processes or browsers.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/ftrace-core.test.ts',
      'test/ftrace-guest.test.ts',
      'test/ftrace-stress.test.ts',
      'test/ftrace-edges.test.ts',
      'test/ftrace-threads.test.ts',
      'test/ftrace-threads-workers.test.ts',
      'test/ftrace-shared-rcu.test.ts',
      'test/ftrace-guest-threads.test.ts',
    ],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // one module graph per worker across Stryker's runs: binaryen.js and the
    // fixtures load once (mutants switch at run time; static ones are left out)
    isolate: false,
    reporters: ['default'],
  },
});
