// Mutation testing of the protocol and security core (`make mutation`; docs/TESTING.md says what
// is measured, how to read the report and why the surviving mutants that remain are equivalent).
// MUTATE=control-plane/policy (comma-separated folders or files) narrows the run to one area.

import { createHash } from 'node:crypto';

/** The folders whose tests must catch small, plausible bugs. */
const CORE = [
  'control-plane/policy',
  // Globs, not paths: these files may move into sub-folders of their area.
  'control-plane/endpoints/**/table.ts',
  'control-plane/endpoints/**/tuner.ts',
  'control-plane/endpoints/**/overflow.ts',
  'control-plane/pki/**/csr-policy.ts',
  'control-plane/pki/**/node-identity.ts',
  'control-plane/pki/**/issuer.ts',
  'control-plane/pki/**/tokens.ts',
  'control-plane/auth',
  'control-plane/audit',
  'control-plane/xds/server',
  'control-plane/translate',
  'control-plane/validate',
  'data-plane/inference',
  'data-plane/tensors',
  'kernel/runtime/duration.ts',
  'kernel/contract',
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

// One report and one incremental file per selection, so narrowing to a folder and back keeps the
// other results.
// A long selection is cut and suffixed with a hash of the whole: file names stop at 255 bytes.
const fullSlug = process.env.MUTATE ? targets.join('+').replace(/[^A-Za-z0-9.+-]+/g, '_') : 'core';
const slug =
  fullSlug.length > 100
    ? `${fullSlug.slice(0, 80)}-${createHash('sha256').update(fullSlug).digest('hex').slice(0, 12)}`
    : fullSlug;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: targets.flatMap(globs),
  testRunner: 'vitest',
  vitest: { configFile: 'stryker.vitest.config.ts', related: true },
  // The checker drops mutants that do not compile; STRYKER_CHECKERS=none skips it where CPU is
  // scarce (type-invalid mutants then run as plain JavaScript like the others).
  checkers: process.env.STRYKER_CHECKERS === 'none' ? [] : ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  // The machine running this is usually shared; STRYKER_CONCURRENCY raises it on a bigger one.
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  incremental: true,
  incrementalFile: `reports/mutation/${slug}/stryker-incremental.json`,
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: { fileName: `reports/mutation/${slug}/mutation.html` },
  jsonReporter: { fileName: `reports/mutation/${slug}/mutation.json` },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  // The sandbox needs sources, tests and generated protos, not the model repository or results.
  // protos/.deps holds links to folders in node_modules, which the sandbox copy cannot follow.
  ignorePatterns: [
    'reports',
    'test/fixtures/models/generated',
    'test/bench/results',
    '.tmp',
    'coverage',
    'protos/.deps',
  ],
  // A mutant's run may take this much longer than the unmutated one before it counts as a
  // timeout; on a loaded shared machine 20 s restarted golden runs that were only slow.
  timeoutMS: Number(process.env.STRYKER_TIMEOUT_MS ?? 60_000),
  timeoutFactor: 2,
  thresholds: { high: 90, low: 85, break: null },
};
