import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'control-plane/**/*.test.ts',
      'data-plane/**/*.test.ts',
      'kernel/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    // Suites spawn real nats-server, gRPC and xDS peers: forks isolate process-global state
    // (grpc-js-xds reads its bootstrap once per process).
    pool: 'forks',
    // Most suites wait on their peers (process start, NATS, xDS pushes) rather than compute, so
    // two run side by side even on two cores; vitest's default (cores - 1) would run them one
    // at a time there and take the suite past its ten-minute budget.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
