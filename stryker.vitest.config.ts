// The tests Stryker runs against each mutant: the fast unit tests next to the mutated code and
// the raw-client xDS stream suites (the SotW and delta rules live only there). stryker.config.mjs.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'control-plane/**/*.test.ts',
      'data-plane/**/*.test.ts',
      'kernel/**/*.test.ts',
      'test/xds/sotw.test.ts',
      'test/xds/delta.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
