import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start real processes that each use CPU; on a 2-core machine running
    // several such files at once makes timings (lease expiry, keepalive) flaky.
    fileParallelism: false,
    pool: 'forks',
  },
});
