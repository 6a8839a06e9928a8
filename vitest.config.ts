import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Workflow tests share one dev server; files run in parallel forks on 2 cores.
    pool: 'forks',
    maxWorkers: 2,
  },
});
