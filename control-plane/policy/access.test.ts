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
