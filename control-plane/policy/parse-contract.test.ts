// The parser's pieces as the API uses them one document at a time: the header check and the
// alias-bounded value name the source alone, and a document with any issue yields no route.

import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { PolicyParseError } from '../../kernel/errors/index.js';
import { checkPolicyHeader, documentValue, parsePolicyFile, validatePolicy } from './parse.js';

describe('parser pieces on their own', () => {
  it('names only the source when no document position is given', () => {
    expect(() => checkPolicyHeader('text', 'api')).toThrow(
      new PolicyParseError('api', 'is not a mapping (a ModelRoute document)'),
    );
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const [prev, cur] = [String.fromCharCode(96 + i), String.fromCharCode(97 + i)];
      levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    expect(() => documentValue(parseDocument(levels.join('\n')), 'api')).toThrow(
      /^api: Excessive alias count/,
    );
  });

  it('returns no route for a document with a schema issue and no rule issue', () => {
    const issues: { path: string; message: string }[] = [];
    const r = validatePolicy(
      {
        apiVersion: 'switchyard.dev/v1alpha1',
        kind: 'ModelRoute',
        metadata: { name: 'p' },
        spec: { model: 'm', mtls: 'NONE', versions: [{ name: 'v1' }] },
      },
      issues,
    );
    expect(issues.map((i) => i.path)).toEqual(['spec.mtls']);
    expect(r).toBeUndefined();
  });

  it('reports a YAML error on one line, without a code excerpt', () => {
    expect(() => parsePolicyFile('a: 1\nb: 2\n  c: 3\n', 'x.yaml')).toThrow(
      new PolicyParseError('x.yaml', 'line 2:4: Nested mappings are not allowed in compact mappings'),
    );
  });
});
