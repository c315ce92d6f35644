import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most files wait on agents they start (subprocesses, sockets), not on the CPU: one worker
    // per core instead of vitest's default of one fewer (which is one worker on 2 cores).
    maxWorkers: availableParallelism(),
    reporters: ['default'],
  },
});
