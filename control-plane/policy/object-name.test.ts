// A name that addresses a policy from outside a document obeys metadata.name's rule.
import { describe, expect, it } from 'vitest';
import { OptionError } from '../../kernel/errors/index.js';
import { checkObjectName } from './object-name.js';

describe('checkObjectName', () => {
  it.each(['a', 'default', 'fraud-v2.eu', '0', 'a'.repeat(253)])('takes %s', (name) => {
    expect(() => checkObjectName('name', name)).not.toThrow();
  });

  it.each(['', 'Fraud', '-a', 'a-', 'a_b', 'a/b', 'a'.repeat(254)])('refuses %j', (name) => {
    expect(() => checkObjectName('name', name)).toThrow(OptionError);
  });

  it('names the field and the value, and the rule to follow', () => {
    expect(() => checkObjectName('namespace', 'Prod')).toThrow(
      'namespace "Prod" is not valid: use a DNS-1123 name (lower-case letters, digits, "." and "-")',
    );
  });

  it('shows a long value cut at 80 characters', () => {
    const long = `A${'b'.repeat(99)}`;
    expect(() => checkObjectName('name', long)).toThrow(
      `name "${long.slice(0, 80)}"... is not valid: use a DNS-1123`,
    );
    const eighty = `A${'b'.repeat(79)}`;
    expect(() => checkObjectName('name', eighty)).toThrow(`name "${eighty}" is not valid`);
  });
});
