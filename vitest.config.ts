import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/temp-root.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // DuckDB and the generator each use both cores; running files in parallel only thrashes.
    fileParallelism: false,
  },
});
