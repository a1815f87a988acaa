import { describe, expect, it } from 'vitest';
import { SpiffeIdError } from './errors.js';
import {
  controlPlaneId,
  formatSpiffeId,
  parseSpiffeId,
  tryParseSpiffeId,
  validateTrustDomain,
} from './spiffe.js';

describe('SPIFFE IDs', () => {
  it('parses a workload ID into its parts and formats it back', () => {
    const id = parseSpiffeId('spiffe://example.org/ns/default/sa/web');
    expect(id).toEqual({
      trustDomain: 'example.org',
      namespace: 'default',
      serviceAccount: 'web',
      uri: 'spiffe://example.org/ns/default/sa/web',
    });
    expect(formatSpiffeId(id)).toBe(id.uri);
    expect(controlPlaneId('td')).toBe('spiffe://td/ns/switchyard-system/sa/control-plane');
  });

  it.each([
    ['SPIFFE://example.org/ns/a/sa/b', 'scheme'],
    ['spiffe://Example.org/ns/a/sa/b', 'lowercase'],
    ['spiffe://example.org:8443/ns/a/sa/b', 'port'],
    ['spiffe://user@example.org/ns/a/sa/b', 'user info'],
    ['spiffe://example.org', 'path'],
    ['spiffe://example.org/ns/a/sa/b/', 'trailing slash'],
    ['spiffe://example.org/ns/a/sa/b/extra', 'exactly'],
    ['spiffe://example.org/ns/../sa/b', 'dot segment'],
    ['spiffe://example.org/ns/a/sa/b?x=1', 'query'],
    ['spiffe://example.org/ns/a%2Fb/sa/c', 'percent'],
    ['spiffe://example.org/ns/A/sa/b', 'DNS-1123'],
    ['spiffe://example.org/sa/b/ns/a', 'exactly'],
    ['spiffe://example..org/ns/a/sa/b', 'empty label'],
    ['spiffe:///ns/a/sa/b', 'empty'],
  ])('refuses %s (%s)', (input, why) => {
    const err = (() => {
      try {
        parseSpiffeId(input);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(SpiffeIdError);
    expect((err as SpiffeIdError).code).toBe('SY_PKI_IDENTITY_INVALID');
    expect((err as Error).message).toContain(why);
  });

  it('refuses an ID of another trust domain when one is expected', () => {
    expect(() => parseSpiffeId('spiffe://evil.org/ns/a/sa/b', 'example.org')).toThrow(/not "example.org"/);
    expect(tryParseSpiffeId('spiffe://evil.org/ns/a/sa/b', 'example.org')).toBeUndefined();
    expect(tryParseSpiffeId('spiffe://example.org/ns/a/sa/b', 'example.org')?.serviceAccount).toBe('b');
  });

  it('validates trust domains on their own', () => {
    expect(validateTrustDomain('cluster.local')).toBe('cluster.local');
    expect(() => validateTrustDomain('')).toThrow(SpiffeIdError);
    expect(() => validateTrustDomain('a/b')).toThrow(SpiffeIdError);
  });
});
