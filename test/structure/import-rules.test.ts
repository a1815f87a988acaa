// The import rules of .dependency-cruiser.cjs (run by `make check`) catch what they are meant to:
// a small tree that breaks each rule once, cruised with the repository's own rule set. That the
// repository itself keeps them is `make imports`.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type IForbiddenRuleType } from 'dependency-cruiser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const config = createRequire(import.meta.url)('../../.dependency-cruiser.cjs') as {
  forbidden: IForbiddenRuleType[];
};

// Each file of the tree and what it imports; comments say which rule the import breaks.
const TREE: Record<string, string> = {
  // control-plane-not-into-data-plane
  'control-plane/api/a.ts': "import { b } from '../../data-plane/b';\nexport const a = b;\n",
  // data-plane-not-into-control-plane + pki-entered-through-its-index
  'data-plane/b.ts': "import { inner } from '../control-plane/pki/ca/inner';\nexport const b = inner;\n",
  // kernel-imports-neither-program
  'kernel/k.ts': "import { a } from '../control-plane/api/a';\nexport const k = a;\n",
  // protos-and-envoy-call-no-program
  'protos/p.ts': "import { k } from '../kernel/k';\nexport const p = k;\n",
  // translate-and-validate-do-no-io (twice), and a type-only cycle with validate/ (no-circular)
  'control-plane/translate/t.ts': [
    "import { readFileSync } from 'node:fs';",
    "import { credentials } from '@grpc/grpc-js';",
    "import type { V } from '../validate/v';",
    'export type T = V | 1;',
    'export const t = [readFileSync, credentials];',
    '',
  ].join('\n'),
  // pure-core-imports-only-the-pure-core
  'control-plane/policy/p.ts': "import { a } from '../api/a';\nexport const p = a;\n",
  'control-plane/validate/v.ts': "import type { T } from '../translate/t';\nexport type V = T | 2;\n",
  // allowed: pki through its index, pki's own files among themselves, a test of translate/ reading files
  'control-plane/translate/t.test.ts':
    "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n",
  'control-plane/api/ok.ts': "import { inner } from '../pki/index';\nexport const ok = inner;\n",
  'control-plane/pki/index.ts': "export { inner } from './ca/inner';\n",
  'control-plane/pki/ca/inner.ts': 'export const inner = 1;\n',
};

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sy-import-rules-'));
  for (const [path, text] of Object.entries(TREE)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('import rules', () => {
  it('report each broken rule, and nothing for the allowed imports', async () => {
    const result = await cruise(
      ['control-plane', 'data-plane', 'kernel', 'protos'],
      {
        baseDir: dir,
        validate: true,
        ruleSet: { forbidden: config.forbidden },
        tsPreCompilationDeps: true,
        doNotFollow: { path: 'node_modules' },
      },
      { extensions: ['.ts', '.js'] },
    );
    const output = result.output;
    if (typeof output === 'string') throw new Error('expected a cruise result, got a report');
    const found = output.summary.violations.map((v) =>
      v.rule.name === 'no-circular'
        ? `no-circular: ${v.from}`
        : `${v.rule.name}: ${v.from} -> ${v.to.replace(/^.*node_modules\//, 'node_modules/')}`,
    );
    expect(found.sort()).toEqual(
      [
        'control-plane-not-into-data-plane: control-plane/api/a.ts -> data-plane/b.ts',
        'data-plane-not-into-control-plane: data-plane/b.ts -> control-plane/pki/ca/inner.ts',
        'pki-entered-through-its-index: data-plane/b.ts -> control-plane/pki/ca/inner.ts',
        'kernel-imports-neither-program: kernel/k.ts -> control-plane/api/a.ts',
        'protos-and-envoy-call-no-program: protos/p.ts -> kernel/k.ts',
        'pure-core-imports-only-the-pure-core: control-plane/policy/p.ts -> control-plane/api/a.ts',
        'translate-and-validate-do-no-io: control-plane/translate/t.ts -> fs',
        'translate-and-validate-do-no-io: control-plane/translate/t.ts -> node_modules/@grpc/grpc-js/build/src/index.js',
        'no-circular: control-plane/translate/t.ts',
      ].sort(),
    );
  });
});
