// The tests Stryker runs against each mutant: the fast unit tests next to the mutated code and
// the raw-client xDS stream suites (the SotW and delta rules live only there). stryker.config.mjs.
import { defineConfig } from 'vitest/config';

const ALL = [
  'control-plane/**/*.test.ts',
  'data-plane/**/*.test.ts',
  'kernel/**/*.test.ts',
  'test/xds/sotw.test.ts',
  'test/xds/delta.test.ts',
];

// STRYKER_TESTS (comma-separated files or globs) narrows the run to the tests written for the
// mutated file. A file imported by much of the code (durations, the policy parser) is otherwise
// covered by hundreds of tests that each mutant must wait for; a score measured with fewer tests
// can only be lower, never flattered.
const only = process.env.STRYKER_TESTS?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);

export default defineConfig({
  test: {
    include: only?.length ? only : ALL,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
