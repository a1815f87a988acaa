import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// The system suites that create grpc-js-xds channels or xDS-managed servers (grpc-js-xds reads
// its bootstrap once per process), and the in-process pod suites (ONNX Runtime sessions, worker
// threads and caches of their own): each of their files gets a process of its own. The other
// folders share one module graph per worker (docs/TESTING.md, "Test processes").
const OWN_PROCESS = [
  'ccore',
  'cluster',
  'dataplane',
  'e2e',
  'endpoints',
  'envoy',
  'isolation',
  'operators',
  'platform',
  'rollout',
  'security',
  'translate-e2e',
];

export default defineConfig({
  test: {
    // Suites spawn real nats-server, gRPC and xDS peers; forks keep a crashed native addon or a
    // blocked event loop to one worker.
    pool: 'forks',
    // Most suites wait on their peers (process start, NATS, xDS pushes) rather than compute, so
    // two run side by side even on two cores; vitest's default (cores - 1) would run them one
    // at a time there and take the suite past its ten-minute budget.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    setupFiles: ['test/setup/byte-equality.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'shared',
          include: [
            'control-plane/**/*.test.ts',
            'data-plane/**/*.test.ts',
            'kernel/**/*.test.ts',
            'test/**/*.test.ts',
          ],
          exclude: OWN_PROCESS.map((d) => `test/${d}/**`),
          // Importing the code afresh for every file cost more than the tests themselves.
          isolate: false,
        },
      },
      {
        extends: true,
        test: { name: 'own-process', include: OWN_PROCESS.map((d) => `test/${d}/**/*.test.ts`) },
      },
    ],
  },
});
