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
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
