import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // binaryen.js is a 15 MB module: load it once per worker, not per file.
    pool: 'forks',
    reporters: ['default'],
  },
});
