import { describe, expect, it } from 'vitest';
import { PolicyValidationError } from '../../kernel/errors/index.js';
import { identityAllowed, parsePolicyFile, tenantLimit } from './index.js';

const HASH = 'a'.repeat(64);
const PUBLIC_JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
  y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
};

function route(access: string): string {
  const body = access
    .trim()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
  return `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: fraud }
spec:
  model: fraud
  versions: [{ name: v1, weight: 100 }]
  access:
${body}
`;
}

function issuesOf(text: string): string[] {
  try {
    parsePolicyFile(text, 'p.yaml');
  } catch (err) {
    if (err instanceof PolicyValidationError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('spec.access', () => {
  it('reads every section and fills the defaults', () => {
    const [r] = parsePolicyFile(
      route(`
identities: [spiffe://switchyard.local/ns/default/sa/web, spiffe://switchyard.local/ns/batch/*]
jwt:
  issuer: https://issuer.example
  audiences: [fraud-api]
  jwks: { inline: { keys: [${JSON.stringify(PUBLIC_JWK)}] } }
apiKeys: [{ sha256: ${HASH}, tenant: acme }]
rateLimit: { model: { rps: 100 }, perTenant: { rps: 2.5 }, tenants: { acme: { rps: 10, burst: 40 } } }
`),
      'p.yaml',
    );
    const a = r!.spec.access!;
    expect(a.identities).toHaveLength(2);
    expect(a.jwt).toMatchObject({
      algorithms: ['RS256', 'ES256'],
      requiredClaims: {},
      scopes: [],
      tenantClaim: 'sub',
      clockSkew: '30s',
    });
    expect(a.rateLimit).toEqual({
      model: { rps: 100, burst: 100 },
      perTenant: { rps: 2.5, burst: 3 },
      tenants: { acme: { rps: 10, burst: 40 } },
    });
    expect(tenantLimit(a, 'acme')).toEqual({ rps: 10, burst: 40 });
    expect(tenantLimit(a, 'other')).toEqual({ rps: 2.5, burst: 3 });
  });

  it('reads a JWKS given as JSON text', () => {
    const [r] = parsePolicyFile(
      route(`
jwt: { issuer: i, audiences: [a], jwks: { inline: '${JSON.stringify({ keys: [PUBLIC_JWK] })}' } }
`),
      'p.yaml',
    );
    expect(r!.spec.access!.jwt!.jwks).toEqual({ inline: { keys: [PUBLIC_JWK] } });
  });

  it('refuses each bad input with its path', () => {
    expect(issuesOf(route('{}'))).toEqual([
      'spec.access: sets nothing; give identities, jwt, apiKeys and/or rateLimit (or leave access out)',
    ]);
    expect(issuesOf(route('identities: [https://x/y]'))[0]).toMatch(
      /^spec\.access\.identities\[0\]: .*SPIFFE ID/,
    );
    expect(issuesOf(route(`apiKeys: [{ sha256: ${HASH.toUpperCase()}, tenant: a }]`))[0]).toMatch(
      /^spec\.access\.apiKeys\[0\]\.sha256: .*lower-case hex SHA-256/,
    );
    expect(
      issuesOf(route(`apiKeys: [{ sha256: ${HASH}, tenant: a }, { sha256: ${HASH}, tenant: b }]`)),
    ).toEqual(['spec.access.apiKeys[1]: repeats the key of apiKeys[0]']);
    expect(issuesOf(route('rateLimit: { model: { rps: 0 } }'))).toEqual([
      'spec.access.rateLimit.model.rps: must be > 0',
    ]);
    expect(issuesOf(route('rateLimit: {}'))).toEqual([
      'spec.access.rateLimit: sets no limit; give model, perTenant and/or tenants',
    ]);
  });

  it('refuses unsafe JWT settings', () => {
    const jwt = (extra: string) => route(`jwt: { issuer: i, audiences: [a], ${extra} }`);
    expect(issuesOf(jwt(`jwks: { uri: 'https://idp/keys' }, algorithms: [HS256]`))[0]).toMatch(
      /^spec\.access\.jwt\.algorithms\[0\]: must be one of RS256/,
    );
    expect(issuesOf(jwt(`jwks: { uri: 'https://idp/keys' }, algorithms: [none]`))[0]).toMatch(
      /algorithms\[0\]/,
    );
    expect(issuesOf(jwt(`jwks: { uri: 'http://idp.example/keys' }`))).toEqual([
      'spec.access.jwt.jwks.uri: must be an https:// URL (http:// only on loopback)',
    ]);
    expect(issuesOf(jwt(`jwks: { uri: 'http://127.0.0.1:9/keys' }`))).toEqual([]);
    expect(issuesOf(jwt(`jwks: { uri: 'https://idp/keys', inline: { keys: [{ kty: EC }] } }`))).toEqual([
      'spec.access.jwt.jwks: must set exactly one of uri and inline',
    ]);
    expect(issuesOf(jwt(`jwks: { inline: { keys: [{ kty: oct, k: abc }] } }`))).toEqual([
      'spec.access.jwt.jwks.inline.keys[0]: is a symmetric key (kty oct); only public keys may be distributed',
    ]);
    expect(issuesOf(jwt(`jwks: { inline: { keys: [{ kty: EC, d: secret }] } }`))).toEqual([
      'spec.access.jwt.jwks.inline.keys[0]: contains private key material; publish only the public key',
    ]);
    expect(issuesOf(jwt(`jwks: { inline: 'not json' }`))[0]).toMatch(/is not a JSON Web Key Set/);
  });
});

describe('identityAllowed', () => {
  const rules = ['spiffe://td/ns/a/sa/web', 'spiffe://td/ns/batch/*'];
  it('matches exactly or under a prefix at a path boundary', () => {
    expect(identityAllowed('spiffe://td/ns/a/sa/web', rules)).toBe(true);
    expect(identityAllowed('spiffe://td/ns/a/sa/web-admin', rules)).toBe(false);
    expect(identityAllowed('spiffe://td/ns/batch/sa/x', rules)).toBe(true);
    expect(identityAllowed('spiffe://td/ns/batchy/sa/x', rules)).toBe(false);
    expect(identityAllowed('spiffe://td/ns/batch', rules)).toBe(false);
  });
});

describe('spec.access, each rule at its edge', () => {
  const jwt = (extra: string, jwks = `jwks: { uri: 'https://idp/keys' }`) =>
    route(`jwt: { issuer: i, audiences: [a], ${jwks}${extra ? `, ${extra}` : ''} }`);
  const inline = (keys: unknown[]) => jwt('', `jwks: { inline: ${JSON.stringify({ keys })} }`);
  const accessOf = (access: string) => parsePolicyFile(route(access), 'p.yaml')[0]!.spec.access!;

  it('takes any one section alone', () => {
    expect(accessOf('identities: [spiffe://td/ns/a/sa/web]').identities).toEqual(['spiffe://td/ns/a/sa/web']);
    expect(accessOf(`apiKeys: [{ sha256: ${HASH}, tenant: acme, name: ci }]`).apiKeys).toEqual([
      { sha256: HASH, tenant: 'acme', name: 'ci' },
    ]);
    expect(accessOf('rateLimit: { perTenant: { rps: 0.2 } }').rateLimit).toEqual({
      perTenant: { rps: 0.2, burst: 1 },
    });
    expect(issuesOf(jwt(''))).toEqual([]);
  });

  it('fills each tenant burst from its rate, and keeps a burst that is given', () => {
    expect(
      accessOf('rateLimit: { tenants: { a: { rps: 7.1 }, b: { rps: 3, burst: 9 } } }').rateLimit,
    ).toEqual({
      tenants: { a: { rps: 7.1, burst: 8 }, b: { rps: 3, burst: 9 } },
    });
  });

  it('bounds rates and bursts', () => {
    expect(accessOf('rateLimit: { model: { rps: 1000000, burst: 10000000 } }').rateLimit?.model).toEqual({
      rps: 1000000,
      burst: 10000000,
    });
    expect(
      issuesOf(
        route('rateLimit: { model: { rps: 1000001, burst: 0 }, perTenant: { rps: 1, burst: 10000001 } }'),
      ),
    ).toEqual([
      'spec.access.rateLimit.model.rps: must be <= 1000000',
      'spec.access.rateLimit.model.burst: must be >= 1',
      'spec.access.rateLimit.perTenant.burst: must be <= 10000000',
    ]);
    expect(issuesOf(route('rateLimit: { tenants: {} }'))).toEqual([
      'spec.access.rateLimit.tenants: must have at least 1 entry',
    ]);
    expect(issuesOf(route('rateLimit: { model: { burst: 3 } }'))).toEqual([
      'spec.access.rateLimit.model.rps: is required',
    ]);
  });

  it('reports every repeat of an API key against its first use', () => {
    const key = (t: string) => `{ sha256: ${HASH}, tenant: ${t} }`;
    const other = `{ sha256: ${'b'.repeat(64)}, tenant: x }`;
    expect(issuesOf(route(`apiKeys: [${key('a')}, ${other}, ${key('b')}, ${key('c')}]`))).toEqual([
      'spec.access.apiKeys[2]: repeats the key of apiKeys[0]',
      'spec.access.apiKeys[3]: repeats the key of apiKeys[0]',
    ]);
    expect(issuesOf(route(`apiKeys: [{ tenant: a }, { tenant: b }]`))).toEqual([
      'spec.access.apiKeys[0].sha256: is required',
      'spec.access.apiKeys[1].sha256: is required',
    ]);
  });

  it.each(['acme', 'a', 'team/a:b@c.d_e-f', 'A1'])('takes the tenant %j', (tenant) => {
    expect(accessOf(`apiKeys: [{ sha256: ${HASH}, tenant: '${tenant}' }]`).apiKeys?.[0]?.tenant).toBe(tenant);
  });

  it.each(['-a', 'a-', 'a b', 'a#b', '', 'x'.repeat(254)])('refuses the tenant %j', (tenant) => {
    expect(issuesOf(route(`apiKeys: [{ sha256: ${HASH}, tenant: '${tenant}' }]`))).toEqual([
      tenant.length > 253
        ? 'spec.access.apiKeys[0].tenant: must be at most 253 characters'
        : `spec.access.apiKeys[0].tenant: ${JSON.stringify(tenant)} is not a tenant name (letters, digits and ".", "_", ":", "@", "/", "-")`,
    ]);
  });

  it.each([
    'spiffe://td',
    'spiffe://td.example-1/ns/a/sa/web',
    'spiffe://td/*',
    "spiffe://td/a~b%20!$&'()*+,;=:@-._",
  ])('takes the identity %j', (id) => {
    expect(accessOf(`identities: ["${id}"]`).identities).toEqual([id]);
  });

  it.each([
    'spiffe://TD/a',
    'spiffe://td/a/',
    'spiffe://td//a',
    'spiffe://td/a b',
    'spiffe://td/a?',
    'xspiffe://td/a',
    'spiffe:///a',
  ])('refuses the identity %j', (id) => {
    expect(issuesOf(route(`identities: ["${id}"]`))).toEqual([
      `spec.access.identities[0]: ${JSON.stringify(id)} is not a SPIFFE ID (spiffe://trust-domain/path), optionally ending in /* for a prefix`,
    ]);
  });

  it('refuses an identity list that is empty, repeats itself, or is too long', () => {
    expect(issuesOf(route('identities: []'))).toEqual([
      'spec.access.identities: must have at least 1 item(s)',
    ]);
    expect(issuesOf(route('identities: [spiffe://td/a, spiffe://td/a]'))).toEqual([
      'spec.access.identities[1]: duplicate "spiffe://td/a"',
    ]);
    const ids = (n: number) =>
      `identities: [${Array.from({ length: n }, (_, i) => `spiffe://td/${i}`).join(', ')}]`;
    expect(accessOf(ids(64)).identities).toHaveLength(64);
    expect(issuesOf(route(ids(65)))).toEqual([
      'spec.access.identities: has 65 items; at most 64 are allowed',
    ]);
    expect(issuesOf(route(`identities: ["spiffe://td/${'a'.repeat(2048)}"]`))).toEqual([
      'spec.access.identities[0]: must be at most 2048 characters',
    ]);
  });

  it('takes http:// JWKS only on loopback, and refuses what is not a URL', () => {
    for (const uri of ['http://localhost:9/keys', 'http://[::1]:9/keys', 'https://idp.example/keys'])
      expect(issuesOf(jwt('', `jwks: { uri: '${uri}' }`))).toEqual([]);
    for (const uri of ['ftp://idp/keys', 'http://127.0.0.2/keys', 'http://localhost.example/keys'])
      expect(issuesOf(jwt('', `jwks: { uri: '${uri}' }`))).toEqual([
        'spec.access.jwt.jwks.uri: must be an https:// URL (http:// only on loopback)',
      ]);
    expect(issuesOf(jwt('', `jwks: { uri: 'not a url' }`))).toEqual([
      'spec.access.jwt.jwks.uri: "not a url" is not a URL',
    ]);
    expect(issuesOf(jwt('', 'jwks: {}'))).toEqual([
      'spec.access.jwt.jwks: must set exactly one of uri and inline',
    ]);
    expect(issuesOf(jwt('', 'jwks: []'))).toEqual(['spec.access.jwt.jwks: must be a mapping']);
  });

  it('takes up to 20 public keys and refuses what is not a key set', () => {
    const keys = (n: number) => Array.from({ length: n }, () => PUBLIC_JWK);
    expect(issuesOf(inline(keys(20)))).toEqual([]);
    expect(issuesOf(inline(keys(21)))).toEqual(['spec.access.jwt.jwks.inline.keys: has 21 keys; at most 20']);
    const notASet = 'spec.access.jwt.jwks.inline: must be a JSON Web Key Set with at least one key in keys';
    expect(issuesOf(inline([]))).toEqual([notASet]);
    expect(issuesOf(jwt('', 'jwks: { inline: { keys: {} } }'))).toEqual([notASet]);
    expect(issuesOf(jwt('', `jwks: { inline: '[1]' }`))).toEqual([notASet]);
    expect(issuesOf(jwt('', `jwks: { inline: 'x' }`))).toEqual([
      'spec.access.jwt.jwks.inline: is not a JSON Web Key Set (JSON text or a mapping with keys)',
    ]);
    expect(
      issuesOf(
        inline([PUBLIC_JWK, 'k', { crv: 'P-256' }, { ...PUBLIC_JWK, p: 'x' }, { ...PUBLIC_JWK, q: 'x' }]),
      ),
    ).toEqual([
      'spec.access.jwt.jwks.inline.keys[1]: must be a JSON Web Key with kty',
      'spec.access.jwt.jwks.inline.keys[2]: must be a JSON Web Key with kty',
      'spec.access.jwt.jwks.inline.keys[3]: contains private key material; publish only the public key',
      'spec.access.jwt.jwks.inline.keys[4]: contains private key material; publish only the public key',
    ]);
  });

  it('bounds the JWT fields', () => {
    expect(
      issuesOf(
        jwt(
          `algorithms: [], requiredClaims: { "${'c'.repeat(129)}": v }, scopes: [a b, x, x], tenantClaim: "${'t'.repeat(129)}", clockSkew: 1x`,
        ),
      ),
    ).toEqual([
      'spec.access.jwt.algorithms: must have at least 1 item(s)',
      `spec.access.jwt.requiredClaims.${'c'.repeat(129)}: must be at most 128 characters`,
      'spec.access.jwt.scopes[0]: "a b" is not a scope without spaces',
      'spec.access.jwt.scopes[2]: duplicate "x"',
      'spec.access.jwt.tenantClaim: must be at most 128 characters',
      'spec.access.jwt.clockSkew: "1x" is not a duration like 250ms, 1s or 1m30s',
    ]);
    const j = accessOf(
      `jwt: { issuer: i, audiences: [a, b], jwks: { uri: 'https://idp/keys' }, algorithms: [ES256], requiredClaims: { tier: gold }, scopes: [infer], tenantClaim: org, clockSkew: 5s }`,
    ).jwt;
    expect(j).toEqual({
      issuer: 'i',
      audiences: ['a', 'b'],
      jwks: { uri: 'https://idp/keys' },
      algorithms: ['ES256'],
      requiredClaims: { tier: 'gold' },
      scopes: ['infer'],
      tenantClaim: 'org',
      clockSkew: '5s',
    });
    expect(issuesOf(route('jwt: { jwks: { uri: "https://idp/keys" } }'))).toEqual([
      'spec.access.jwt.issuer: is required',
      'spec.access.jwt.audiences: is required',
    ]);
    expect(issuesOf(route('jwt: { issuer: i, audiences: [a] }'))).toEqual([
      'spec.access.jwt.jwks: is required',
    ]);
  });
});

describe('tenantLimit', () => {
  it('falls back to the per-tenant limit for a tenant named like an Object property, and to nothing', () => {
    const [r] = parsePolicyFile(
      route('rateLimit: { perTenant: { rps: 1 }, tenants: { acme: { rps: 5 } } }'),
      'p.yaml',
    );
    const a = r!.spec.access!;
    expect(tenantLimit(a, 'constructor')).toEqual({ rps: 1, burst: 1 });
    expect(tenantLimit(a, 'acme')).toEqual({ rps: 5, burst: 5 });
    const [only] = parsePolicyFile(route('rateLimit: { tenants: { acme: { rps: 5 } } }'), 'p.yaml');
    expect(tenantLimit(only!.spec.access!, 'other')).toBeUndefined();
    const [none] = parsePolicyFile(route('identities: [spiffe://td/a]'), 'p.yaml');
    expect(tenantLimit(none!.spec.access!, 'acme')).toBeUndefined();
  });
});

describe('spec.access, rules a mutation run found untested', () => {
  const jwt = (extra: string) =>
    route(`jwt: { issuer: i, audiences: [a], jwks: { uri: 'https://idp/keys' }, ${extra} }`);

  it('refuses an access value or API key that is not a mapping, without throwing', () => {
    expect(issuesOf(route('[]'))).toEqual(['spec.access: must be a mapping']);
    expect(issuesOf(route('apiKeys: [5]'))).toEqual(['spec.access.apiKeys[0]: must be a mapping']);
  });

  it('takes plain http:// only, never another scheme, on loopback', () => {
    for (const uri of ['ftp://127.0.0.1/keys', 'ws://localhost/keys'])
      expect(issuesOf(route(`jwt: { issuer: i, audiences: [a], jwks: { uri: '${uri}' } }`))).toEqual([
        'spec.access.jwt.jwks.uri: must be an https:// URL (http:// only on loopback)',
      ]);
  });

  it('refuses repeated audiences and algorithms', () => {
    expect(
      issuesOf(route(`jwt: { issuer: i, audiences: [a, a], jwks: { uri: 'https://idp/keys' } }`)),
    ).toEqual(['spec.access.jwt.audiences[1]: duplicate "a"']);
    expect(issuesOf(jwt('algorithms: [RS256, RS256]'))).toEqual([
      'spec.access.jwt.algorithms[1]: duplicate "RS256"',
    ]);
  });

  it('anchors the key hash at both ends and requires a tenant', () => {
    const hint = 'is not the lower-case hex SHA-256 of the key (64 characters)';
    for (const sha of [`x${HASH}`, `${HASH}x`])
      expect(issuesOf(route(`apiKeys: [{ sha256: ${sha}, tenant: a }]`))).toEqual([
        `spec.access.apiKeys[0].sha256: "${sha}" ${hint}`,
      ]);
    expect(issuesOf(route(`apiKeys: [{ sha256: ${HASH} }]`))).toEqual([
      'spec.access.apiKeys[0].tenant: is required',
    ]);
  });
});
