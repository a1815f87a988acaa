// Mutation testing of the protocol and security core (`make mutation`; docs/TESTING.md says what
// is measured, how to read the report and why the surviving mutants that remain are equivalent).
// MUTATE=control-plane/policy (comma-separated folders or files) narrows the run to one area.

/** The folders whose tests must catch small, plausible bugs. */
const CORE = [
  'control-plane/policy',
  'control-plane/endpoints/table.ts',
  'control-plane/endpoints/tuner.ts',
  'control-plane/endpoints/overflow.ts',
  'control-plane/pki/csr-policy.ts',
  'control-plane/pki/node-identity.ts',
  'control-plane/pki/issuer.ts',
  'control-plane/auth',
  'control-plane/audit',
  'control-plane/xds/server',
  'control-plane/translate',
  'control-plane/validate',
  'data-plane/inference',
  'data-plane/tensors',
];

const globs = (entry) =>
  entry.endsWith('.ts')
    ? [entry]
    : [`${entry}/**/*.ts`, `!${entry}/**/*.test.ts`, `!${entry}/**/testdata/**`];

const targets = process.env.MUTATE
  ? process.env.MUTATE.split(',')
      .map((s) => s.trim().replace(/\/$/, ''))
      .filter(Boolean)
  : CORE;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: targets.flatMap(globs),
  testRunner: 'vitest',
  vitest: { configFile: 'stryker.vitest.config.ts', related: true },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  // The machine running this is usually shared; STRYKER_CONCURRENCY raises it on a bigger one.
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  // The sandbox needs sources, tests and generated protos, not the model repository or results.
  ignorePatterns: ['reports', 'test/fixtures/models/generated', 'test/bench/results', '.tmp', 'coverage'],
  timeoutMS: 20_000,
  timeoutFactor: 2,
  thresholds: { high: 90, low: 85, break: null },
};
