import { defineConfig } from 'vitest/config';

// `npm run test:unit`: pure unit tests, no Temporal dev server and no workflow bundle (no globalSetup).
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
