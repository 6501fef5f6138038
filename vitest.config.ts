import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two groups, one after the other (sequence.groupOrder): the unit files first, two at a time, then the integration
    // files one at a time. Integration tests start real processes that each use CPU; on a 2-core machine running
    // several such files at once, or beside a CPU-heavy unit file (kernel, native-kernel*, scheduler-properties),
    // makes timings (lease expiry, keepalive) flaky. Unit files start no processes and time nothing that load breaks.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/k8s/**/*.test.ts'],
          // vitest's default is one fewer than the CPUs: 1 on a 2-core machine.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
