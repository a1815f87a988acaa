// The pod's check of the access rules it is sent (or reads from --access-file): what it completes
// with the policy's defaults, and every refusal with its path and message, written out. A message
// with any problem is refused whole, so the pod keeps the rules it had.
import { describe, expect, it } from 'vitest';
import type { Issue } from '../errors/index.js';
import { type AccessRules, checkAccessRules, decodeAccessRules, encodeAccessRules } from './access-rules.js';

const HEX = 'ab'.repeat(32);
const JWKS_KEY = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' };
const JWT = { issuer: 'https://idp.test/', audiences: ['api'], jwks: { uri: 'https://idp.test/jwks' } };
const MAX = 4 * 1024 * 1024;

const body = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** The rules checkAccessRules made of `v`, failing the test when it found a problem. */
function accepted(v: unknown): AccessRules | undefined {
  const out: Issue[] = [];
  const rules = checkAccessRules(v, 'm', out);
  expect(out).toEqual([]);
  return rules;
}

/** The problems checkAccessRules found in `v`; it must then answer undefined. */
function refused(v: unknown): Issue[] {
  const out: Issue[] = [];
  expect(checkAccessRules(v, 'm', out)).toBeUndefined();
  return out;
}

const issue = (path: string, message: string): Issue => ({ path, message });

describe('decodeAccessRules', () => {
  it('takes {version, models} and checks each model', () => {
    const msg = { version: 'v7', models: { a: { identities: ['spiffe://td/ns/x/sa/y'] }, b: {} } };
    expect(decodeAccessRules(encodeAccessRules(msg))).toEqual({ msg, issues: [] });
  });

  it('refuses the whole message for one bad model, naming it', () => {
    const msg = { version: 'v', models: { good: {}, bad: { identities: ['x'] } } };
    expect(decodeAccessRules(body(msg))).toEqual({
      issues: [issue('models.bad.identities', 'must be SPIFFE IDs')],
    });
  });

  it('reads up to 4 MiB and refuses a byte more, unread', () => {
    const json = JSON.stringify({ version: 'v', models: {} });
    const full = new TextEncoder().encode(json + ' '.repeat(MAX - json.length));
    expect(decodeAccessRules(full).msg).toEqual({ version: 'v', models: {} });
    const over = new TextEncoder().encode(json + ' '.repeat(MAX + 1 - json.length));
    expect(decodeAccessRules(over)).toEqual({ issues: [issue('', `is ${MAX + 1} bytes; at most ${MAX}`)] });
  });

  it('refuses what is not JSON or not {version, models}', () => {
    expect(decodeAccessRules(new TextEncoder().encode('{"version":'))).toEqual({
      issues: [issue('', 'is not JSON')],
    });
    const shape = { issues: [issue('', 'must be {version, models}')] };
    for (const doc of [null, [], 'v', { models: {} }, { version: 1, models: {} }, { version: 'v' }])
      expect(decodeAccessRules(body(doc)), JSON.stringify(doc)).toEqual(shape);
    expect(decodeAccessRules(body({ version: 'v', models: null }))).toEqual(shape);
    expect(decodeAccessRules(body({ version: 'v', models: [] }))).toEqual(shape);
  });
});

describe('checkAccessRules', () => {
  it('keeps only what a model sets', () => {
    expect(accepted({})).toEqual({});
    expect(accepted({ identities: ['spiffe://td/ns/a/sa/b'] })).toEqual({
      identities: ['spiffe://td/ns/a/sa/b'],
    });
  });

  it('refuses a model that is not a mapping', () => {
    for (const v of [null, [], 'open', 1]) expect(refused(v)).toEqual([issue('m', 'must be a mapping')]);
  });

  it('judges only its own problems, not those already found in other models', () => {
    const out = [issue('models.other', 'must be a mapping')];
    expect(checkAccessRules({ identities: ['spiffe://td/ns/a/sa/b'] }, 'm', out)).toEqual({
      identities: ['spiffe://td/ns/a/sa/b'],
    });
    expect(out).toHaveLength(1);
  });

  it('needs identities to be a non-empty list of SPIFFE IDs, each named', () => {
    const list = issue('m.identities', 'must be a list of strings (at least 1)');
    expect(refused({ identities: [] })).toEqual([list]);
    expect(refused({ identities: 'spiffe://td/ns/a/sa/b' })).toEqual([list]);
    expect(refused({ identities: ['spiffe://td/ns/a/sa/b', ''] })).toEqual([list]);
    expect(refused({ identities: ['spiffe://td/ns/a/sa/b', 7] })).toEqual([list]);
    expect(refused({ identities: [['spiffe://td/ns/a/sa/b']] })).toEqual([list]);
    expect(refused({ identities: ['x', 'spiffe://td/ns/a/sa/b', 'SPIFFE://td/ns/a/sa/b'] })).toEqual([
      issue('m.identities', 'must be SPIFFE IDs'),
      issue('m.identities', 'must be SPIFFE IDs'),
    ]);
  });

  it('keeps API keys of 64 lower-case hex digits with their tenant, and a name only when it is text', () => {
    expect(
      accepted({
        apiKeys: [
          { sha256: HEX, tenant: 'acme', name: 'prod' },
          { sha256: HEX, tenant: 'beta', name: 3 },
        ],
      }),
    ).toEqual({
      apiKeys: [
        { sha256: HEX, tenant: 'acme', name: 'prod' },
        { sha256: HEX, tenant: 'beta' },
      ],
    });
  });

  it('refuses each malformed API key by its index, and an empty or missing list', () => {
    const bad = (i: number) => issue(`m.apiKeys[${i}]`, 'must be {sha256: 64 lower-case hex, tenant}');
    expect(
      refused({
        apiKeys: [
          { sha256: HEX, tenant: 'ok' },
          { sha256: HEX.toUpperCase(), tenant: 't' },
          { sha256: `${HEX}a`, tenant: 't' },
          { sha256: `x${HEX}`, tenant: 't' },
          { sha256: HEX.slice(1), tenant: 't' },
          { sha256: HEX },
          { sha256: 1, tenant: 't' },
          HEX,
          null,
          // Its text form is a valid digest, but it is a list.
          { sha256: [HEX], tenant: 't' },
        ],
      }),
    ).toEqual([bad(1), bad(2), bad(3), bad(4), bad(5), bad(6), bad(7), bad(8), bad(9)]);
    const empty = issue('m.apiKeys', 'must be a non-empty list');
    expect(refused({ apiKeys: [] })).toEqual([empty]);
    expect(refused({ apiKeys: { sha256: HEX, tenant: 't' } })).toEqual([empty]);
  });
});

describe('checkAccessRules: rate limits', () => {
  it('gives a rate without burst the rate rounded up, at least 1', () => {
    expect(
      accepted({
        rateLimit: { model: { rps: 2.5 }, perTenant: { rps: 0.2 }, tenants: { acme: { rps: 7, burst: 1 } } },
      }),
    ).toEqual({
      rateLimit: {
        model: { rps: 2.5, burst: 3 },
        perTenant: { rps: 0.2, burst: 1 },
        tenants: { acme: { rps: 7, burst: 1 } },
      },
    });
    expect(accepted({ rateLimit: { perTenant: { rps: 1, burst: 40 } } })).toEqual({
      rateLimit: { perTenant: { rps: 1, burst: 40 } },
    });
    // An empty tenants mapping is kept: it says no tenant has a rate of its own.
    expect(accepted({ rateLimit: { tenants: {} } })).toEqual({ rateLimit: { tenants: {} } });
  });

  it('refuses a rate that is not positive and finite, and a burst that is not a whole number >= 1', () => {
    const rps = (p: string) => issue(`m.rateLimit.${p}`, 'must be {rps > 0, burst}');
    for (const model of [
      { rps: 0 },
      { rps: -1 },
      { rps: '5' },
      { burst: 5 },
      { rps: Number.POSITIVE_INFINITY },
      5,
    ])
      expect(refused({ rateLimit: { model } }), JSON.stringify(model)).toEqual([rps('model')]);
    expect(refused({ rateLimit: { perTenant: { rps: Number.NaN } } })).toEqual([rps('perTenant')]);
    expect(refused({ rateLimit: { perTenant: null } })).toEqual([rps('perTenant')]);
    const burst = (p: string) => issue(`m.rateLimit.${p}.burst`, 'must be a whole number >= 1');
    for (const b of [0, 1.5, '2', null])
      expect(refused({ rateLimit: { model: { rps: 1, burst: b } } }), String(b)).toEqual([burst('model')]);
    expect(refused({ rateLimit: { tenants: { acme: { rps: 1, burst: 0 } } } })).toEqual([
      burst('tenants.acme'),
    ]);
  });

  it('refuses tenants or a rate limit that are not mappings', () => {
    expect(refused({ rateLimit: { tenants: [] } })).toEqual([
      issue('m.rateLimit.tenants', 'must be a mapping'),
    ]);
    expect(refused({ rateLimit: 5 })).toEqual([issue('m.rateLimit', 'must be a mapping')]);
  });

  it('refuses a rate limit that sets no limit, as the policy parser does', () => {
    expect(refused({ rateLimit: {} })).toEqual([
      issue('m.rateLimit', 'sets no limit; give model, perTenant and/or tenants'),
    ]);
  });
});

describe('checkAccessRules: jwt', () => {
  it('completes a jwt with RS256 and ES256, no claims or scopes, the sub claim and 30s of skew', () => {
    expect(accepted({ jwt: JWT })).toEqual({
      jwt: {
        ...JWT,
        algorithms: ['RS256', 'ES256'],
        requiredClaims: {},
        scopes: [],
        tenantClaim: 'sub',
        clockSkew: '30s',
      },
    });
  });

  it('keeps what a jwt sets', () => {
    const jwt = {
      issuer: 'i',
      audiences: ['a', 'b'],
      jwks: { inline: { keys: [JWKS_KEY] } },
      algorithms: ['EdDSA', 'PS512'],
      requiredClaims: { tier: 'gold' },
      scopes: ['predict'],
      tenantClaim: 'org',
      clockSkew: '1m30s',
    };
    expect(accepted({ jwt })).toEqual({ jwt });
  });

  it('names every problem of a jwt at once', () => {
    expect(
      refused({
        jwt: {
          issuer: '',
          audiences: [],
          jwks: { uri: 'ftp://idp.test/jwks' },
          algorithms: ['RS256', 'HS256', 'none'],
          requiredClaims: { tier: 1 },
          scopes: 'predict',
          tenantClaim: 5,
          clockSkew: 'soon',
        },
      }),
    ).toEqual([
      issue('m.jwt.issuer', 'is required'),
      issue('m.jwt.audiences', 'must be a list of strings (at least 1)'),
      issue('m.jwt.jwks.uri', 'must be an https:// URL (http:// only on loopback)'),
      issue('m.jwt.algorithms', '"HS256" is not an allowed algorithm'),
      issue('m.jwt.algorithms', '"none" is not an allowed algorithm'),
      issue('m.jwt.requiredClaims', 'must map claim names to strings'),
      issue('m.jwt.scopes', 'must be a list of strings'),
      issue('m.jwt.tenantClaim', 'must be a string'),
      issue('m.jwt.clockSkew', 'must be a duration such as 30s'),
    ]);
  });

  it('refuses an empty algorithm list, which would refuse every token', () => {
    expect(refused({ jwt: { ...JWT, algorithms: [] } })).toEqual([
      issue('m.jwt.algorithms', 'must be a list of strings (at least 1)'),
    ]);
  });

  it('refuses a jwt that is not a mapping, or lacks issuer, audiences or keys', () => {
    expect(refused({ jwt: 'yes' })).toEqual([issue('m.jwt', 'must be a mapping')]);
    expect(refused({ jwt: { ...JWT, issuer: 3 } })).toEqual([issue('m.jwt.issuer', 'is required')]);
    expect(refused({ jwt: { issuer: 'i', jwks: JWT.jwks } })).toEqual([
      issue('m.jwt.audiences', 'must be a list of strings (at least 1)'),
    ]);
    expect(refused({ jwt: { issuer: 'i', audiences: ['a'] } })).toEqual([
      issue('m.jwt.jwks', 'must set exactly one of uri and inline'),
    ]);
  });

  it('refuses any one bad field on its own', () => {
    expect(refused({ jwt: { ...JWT, requiredClaims: ['tier'] } })).toEqual([
      issue('m.jwt.requiredClaims', 'must map claim names to strings'),
    ]);
    expect(refused({ jwt: { ...JWT, tenantClaim: 5 } })).toEqual([
      issue('m.jwt.tenantClaim', 'must be a string'),
    ]);
    expect(refused({ jwt: { ...JWT, algorithms: 'RS256' } })).toEqual([
      issue('m.jwt.algorithms', 'must be a list of strings (at least 1)'),
    ]);
    expect(refused({ jwt: { ...JWT, clockSkew: 30 } })).toEqual([
      issue('m.jwt.clockSkew', 'must be a duration such as 30s'),
    ]);
  });
});

describe('checkAccessRules: JWKS', () => {
  const jwks = (v: unknown) => ({ jwt: { ...JWT, jwks: v } });

  it('takes https anywhere and http only on loopback, with a port or a path', () => {
    for (const uri of [
      'https://idp.test/jwks',
      'http://127.0.0.1:8080/jwks',
      'http://localhost/jwks',
      'http://[::1]:9000/',
    ])
      expect(accepted(jwks({ uri }))?.jwt?.jwks, uri).toEqual({ uri });
    const bad = issue('m.jwt.jwks.uri', 'must be an https:// URL (http:// only on loopback)');
    for (const uri of [
      'http://idp.test/jwks',
      'http://localhost.evil.test/jwks',
      'http://127.0.0.1',
      'xhttps://idp.test/',
      ' https://idp.test/',
      'file:///etc/jwks',
      'http://10.0.0.1/http://127.0.0.1/',
    ])
      expect(refused(jwks({ uri })), uri).toEqual([bad]);
  });

  it('takes inline public keys, as a mapping or as JSON text', () => {
    const keys = [JWKS_KEY, { kty: 'RSA', n: 'n', e: 'AQAB' }];
    expect(accepted(jwks({ inline: { keys } }))?.jwt?.jwks).toEqual({ inline: { keys } });
    expect(accepted(jwks({ inline: JSON.stringify({ keys }) }))?.jwt?.jwks).toEqual({ inline: { keys } });
  });

  it('refuses a shared secret, a private key, a key without kty, and an empty key set', () => {
    const bad = issue('m.jwt.jwks.inline', 'must hold public keys only (no kty oct, no private members)');
    for (const keys of [
      [JWKS_KEY, { kty: 'oct', k: 'c2VjcmV0' }],
      [{ ...JWKS_KEY, d: 'private' }, JWKS_KEY],
      [{ crv: 'P-256' }],
      [{ kty: 1 }],
      [JWKS_KEY, 'key'],
      [],
    ])
      expect(refused(jwks({ inline: { keys } })), JSON.stringify(keys)).toEqual([bad]);
  });

  it('needs exactly one of uri and inline, inline holding a keys list', () => {
    const one = issue('m.jwt.jwks', 'must set exactly one of uri and inline');
    for (const v of [
      { uri: 'https://idp.test/jwks', inline: { keys: [JWKS_KEY] } },
      { uri: 5 },
      {},
      { inline: { keys: JWKS_KEY } },
      { inline: '{"keys":' },
      { inline: [JWKS_KEY] },
      'https://idp.test/jwks',
    ])
      expect(refused(jwks(v)), JSON.stringify(v)).toEqual([one]);
  });
});
