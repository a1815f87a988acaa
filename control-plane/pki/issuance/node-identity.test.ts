import { describe, expect, it } from 'vitest';
import { nodeIdFor, nodeIdMatchesIdentity } from './node-identity.js';

const ID = 'spiffe://example.org/ns/edge/sa/gateway';

describe('node id vs certificate identity', () => {
  it('accepts the SPIFFE ID itself and the ID with an instance after "#"', () => {
    expect(nodeIdMatchesIdentity(ID, ID)).toEqual({ ok: true });
    expect(nodeIdMatchesIdentity(`${ID}#gateway-0`, ID)).toEqual({ ok: true });
    expect(nodeIdMatchesIdentity(nodeIdFor(ID, 'pod.abc_1~x'), ID)).toEqual({ ok: true });
  });

  it.each([
    ['another identity', 'spiffe://example.org/ns/edge/sa/other'],
    ['another identity with an instance', 'spiffe://example.org/ns/edge/sa/other#gateway-0'],
    ['a longer service account (prefix only)', `${ID}-evil`],
    ['a path below the identity', `${ID}/x`],
    ['case changes', ID.toUpperCase()],
    ['a free-form id', 'switchyard-gateway-0'],
    ['an empty id', ''],
    ['an empty instance', `${ID}#`],
    ['an instance with a second "#"', `${ID}#a#b`],
    ['an instance with a slash', `${ID}#a/b`],
    ['a percent-encoded instance', `${ID}#%41`],
  ])('refuses %s', (_what, nodeId) => {
    const v = nodeIdMatchesIdentity(nodeId, ID);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.reason.length).toBeGreaterThan(10);
  });

  it('refuses an instance name it would not build', () => {
    expect(() => nodeIdFor(ID, 'a b')).toThrow(RangeError);
  });
});

describe('node id refusals say why', () => {
  it('names the empty id, the mismatch and the bad instance with the rule it breaks', () => {
    expect(nodeIdMatchesIdentity('', ID)).toEqual({ ok: false, reason: 'the node id is empty' });
    expect(nodeIdMatchesIdentity(`${ID}-evil#a`, ID)).toEqual({
      ok: false,
      reason: `node id "${ID}-evil#a" does not name the certificate's identity ${ID}`,
    });
    // Without "#" the whole id is the claim: one character more is another identity.
    expect(nodeIdMatchesIdentity(`${ID}x`, ID)).toEqual({
      ok: false,
      reason: `node id "${ID}x" does not name the certificate's identity ${ID}`,
    });
    expect(nodeIdMatchesIdentity(`${ID}#a/b`, ID)).toEqual({
      ok: false,
      reason: 'node id instance "a/b" must match ^[A-Za-z0-9._~-]{1,128}$',
    });
  });

  it('bounds the instance to 1..128 characters of the unreserved set, anchored at both ends', () => {
    expect(nodeIdMatchesIdentity(`${ID}#${'a'.repeat(128)}`, ID)).toEqual({ ok: true });
    expect(nodeIdMatchesIdentity(`${ID}#${'a'.repeat(129)}`, ID).ok).toBe(false);
    expect(nodeIdMatchesIdentity(`${ID}#A-Z.0_9~`, ID)).toEqual({ ok: true });
    expect(nodeIdMatchesIdentity(`${ID}#a b`, ID).ok).toBe(false);
    expect(nodeIdMatchesIdentity(`${ID}# a`, ID).ok).toBe(false);
    expect(nodeIdMatchesIdentity(`${ID}#a `, ID).ok).toBe(false);
  });

  it('builds the plain ID without an instance and ID#instance with one', () => {
    expect(nodeIdFor(ID)).toBe(ID);
    expect(nodeIdFor(ID, 'gateway-0')).toBe(`${ID}#gateway-0`);
    expect(() => nodeIdFor(ID, '')).toThrow('instance must match ^[A-Za-z0-9._~-]{1,128}$');
    expect(() => nodeIdFor(ID, 'a/b')).toThrow(RangeError);
  });
});
