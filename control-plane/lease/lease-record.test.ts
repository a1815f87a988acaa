import { describe, expect, it } from 'vitest';
import { decodeLease, encodeLease, nextStep } from './lease-record.js';

describe('lease decisions', () => {
  const ttl = 1000;
  it('creates the first term when there is no key', () => {
    expect(nextStep(undefined, 'a', 5000, ttl)).toEqual({
      kind: 'create',
      next: { holder: 'a', token: 1, expiresAt: 6000 },
    });
  });

  it('renews its own live term without a new token', () => {
    expect(nextStep({ holder: 'a', token: 4, expiresAt: 5500 }, 'a', 5000, ttl)).toEqual({
      kind: 'renew',
      next: { holder: 'a', token: 4, expiresAt: 6000 },
    });
  });

  it("waits for another replica's live term to end", () => {
    expect(nextStep({ holder: 'b', token: 4, expiresAt: 5500 }, 'a', 5000, ttl)).toEqual({
      kind: 'wait',
      until: 5500,
    });
  });

  it('takes an expired or released term over with the next token, its own expired one too', () => {
    expect(nextStep({ holder: 'b', token: 4, expiresAt: 5000 }, 'a', 5000, ttl)).toEqual({
      kind: 'takeover',
      next: { holder: 'a', token: 5, expiresAt: 6000 },
    });
    expect(nextStep({ holder: 'b', token: 9, expiresAt: 0 }, 'a', 5000, ttl).kind).toBe('takeover');
    // A holder that let its term lapse gets a new token too: writes of its old term are stale.
    expect(nextStep({ holder: 'a', token: 4, expiresAt: 4000 }, 'a', 5000, ttl)).toMatchObject({
      kind: 'takeover',
      next: { token: 5 },
    });
  });

  it('round-trips records and reads garbage as a free term at token 0', () => {
    const r = { holder: 'x-1', token: 7, expiresAt: 123 };
    expect(decodeLease(encodeLease(r))).toEqual(r);
    expect(decodeLease(new TextEncoder().encode('{"holder":3}'))).toEqual({
      holder: '',
      token: 0,
      expiresAt: 0,
    });
    expect(decodeLease(new TextEncoder().encode('not json'))).toMatchObject({ expiresAt: 0 });
  });
});
