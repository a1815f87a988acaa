import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from './codes.js';
import { asSwitchyardError, PolicyValidationError } from './errors.js';

const doc = readFileSync(new URL('../../docs/ERRORS.md', import.meta.url), 'utf8');

describe('error registry', () => {
  it('documents every code with its HTTP status, and nothing else', () => {
    const rows = [...doc.matchAll(/^\|\s*`(SY_[A-Z0-9_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [
      m[1],
      Number(m[2]),
    ]);
    const registry = Object.entries(ERROR_CODES).map(([code, info]) => [code, info.httpStatus]);
    expect(rows.sort()).toEqual(registry.sort());
  });

  it('gives errors their code, status and issues', () => {
    const e = new PolicyValidationError('a.yaml', [{ path: 'spec.model', message: 'is required' }]);
    expect(e.code).toBe('SY_POLICY_INVALID');
    expect(e.httpStatus).toBe(422);
    expect(e.message).toContain('spec.model: is required');
    expect(e.name).toBe('PolicyValidationError');
    expect(asSwitchyardError(new TypeError('boom')).code).toBe('SY_INTERNAL');
  });
});
