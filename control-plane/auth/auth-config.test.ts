// The admin API's auth config file: the defaults a short file is completed with, the jwt section's
// one-of rule and path resolution, and every malformed field reported at once by its path.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolicyValidationError } from '../../kernel/errors/index.js';
import { loadAuthConfig, OPEN_AUTH, parseAuthConfig } from './auth-config.js';

const HASH = `sha256:${'0123456789abcdef'.repeat(4)}`;
const JWT = { issuer: 'https://idp.test/', audience: 'switchyard' };

/** The issues parseAuthConfig threw, or a failure when it accepted the value. */
function issuesOf(value: unknown): unknown[] {
  try {
    parseAuthConfig(value, 'auth.yaml', '/etc/switchyard');
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyValidationError);
    expect((err as PolicyValidationError).source).toBe('auth.yaml');
    return [...(err as PolicyValidationError).issues];
  }
  throw new Error('accepted');
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sy-auth-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parseAuthConfig', () => {
  it('completes an empty file with closed defaults: no keys, no anonymous roles, 5/s burst 20', () => {
    const closed = {
      apiKeys: [],
      mtls: [],
      anonymous: [],
      public: { healthz: true, metrics: true },
      rateLimit: { perSecond: 5, burst: 20 },
    };
    // An empty YAML file parses to null.
    expect(parseAuthConfig(null, 'auth.yaml')).toEqual(closed);
    expect(parseAuthConfig({}, 'auth.yaml')).toEqual(closed);
  });

  it('fills what a section leaves out and keeps what it sets', () => {
    const c = parseAuthConfig(
      {
        apiKeys: [{ id: 'ci.bot_1-a', hash: HASH }],
        public: { healthz: false },
        rateLimit: { burst: 3 },
        mtls: [{ identity: 'spiffe://td/ns/ops/sa/deployer', roles: [{ role: 'admin', namespaces: ['*'] }] }],
      },
      'auth.yaml',
    );
    expect(c.apiKeys).toEqual([{ id: 'ci.bot_1-a', hash: HASH, roles: [] }]);
    expect(c.public).toEqual({ healthz: false, metrics: true });
    expect(c.rateLimit).toEqual({ perSecond: 5, burst: 3 });
    expect(c.mtls).toEqual([
      { identity: 'spiffe://td/ns/ops/sa/deployer', roles: [{ role: 'admin', namespaces: ['*'] }] },
    ]);
    expect(c.jwt).toBeUndefined();
  });

  it('gives a jwt section RS256 and ES256, the switchyard_roles claim and sub, and resolves its file', () => {
    const c = parseAuthConfig(
      { jwt: { ...JWT, jwksFile: 'keys/jwks.json' } },
      'auth.yaml',
      '/etc/switchyard',
    );
    expect(c.jwt).toEqual({
      ...JWT,
      jwksFile: '/etc/switchyard/keys/jwks.json',
      algorithms: ['RS256', 'ES256'],
      rolesClaim: 'switchyard_roles',
      subjectClaim: 'sub',
    });
    // An absolute path stays; with no base directory a relative one resolves against the cwd.
    expect(parseAuthConfig({ jwt: { ...JWT, jwksFile: '/k.json' } }, 'a', '/etc').jwt?.jwksFile).toBe(
      '/k.json',
    );
    expect(parseAuthConfig({ jwt: { ...JWT, jwksFile: 'k.json' } }, 'a').jwt?.jwksFile).toBe(
      resolve('k.json'),
    );
  });

  it('keeps a JWKS URL as written, http or https', () => {
    for (const jwksUrl of ['https://idp.test/jwks', 'http://127.0.0.1:8080/jwks']) {
      const jwt = { ...JWT, jwksUrl, algorithms: ['EdDSA'], rolesClaim: 'groups', subjectClaim: 'email' };
      expect(parseAuthConfig({ jwt }, 'auth.yaml', '/etc').jwt).toEqual(jwt);
    }
  });

  it('needs exactly one of jwksFile and jwksUrl', () => {
    const oneOf = { path: 'jwt', message: 'needs exactly one of jwksFile and jwksUrl' };
    expect(issuesOf({ jwt: JWT })).toEqual([oneOf]);
    expect(issuesOf({ jwt: { ...JWT, jwksFile: 'a', jwksUrl: 'https://b/' } })).toEqual([oneOf]);
  });

  it('refuses a document that is not a mapping', () => {
    expect(issuesOf(['apiKeys'])).toEqual([{ path: '', message: 'must be a mapping' }]);
  });

  it('reports every malformed field at once, by path', () => {
    expect(
      issuesOf({
        apiKeys: [
          { id: 'ci key', hash: HASH },
          { id: 'ci', hash: `${HASH}0`, roles: [{ role: 'root', namespaces: [] }] },
          { id: 'ci', hash: HASH.toUpperCase().replace('SHA256', 'sha256') },
        ],
        jwt: { ...JWT, jwksUrl: 'ftp://idp.test/jwks', algorithms: ['HS256'] },
        mtls: [{ identity: 'urn:spiffe://td/ns/a/sa/b' }],
        anonymous: [{ namespaces: ['default'] }],
        public: { healthz: 'yes' },
        rateLimit: { perSecond: 0, burst: 0 },
        extra: 1,
      }),
    ).toEqual(ISSUES);
  });

  it('requires each binding’s role and namespaces, each key’s id and hash, the jwt issuer and audience, and each identity', () => {
    expect(
      issuesOf({
        apiKeys: [{ roles: [{ role: 'viewer' }] }],
        jwt: { jwksFile: 'k.json' },
        mtls: [{ roles: [] }],
      }),
    ).toEqual([
      { path: 'apiKeys[0].id', message: 'is required' },
      { path: 'apiKeys[0].hash', message: 'is required' },
      { path: 'apiKeys[0].roles[0].namespaces', message: 'is required' },
      { path: 'jwt.issuer', message: 'is required' },
      { path: 'jwt.audience', message: 'is required' },
      { path: 'mtls[0].identity', message: 'is required' },
    ]);
  });

  it('serves metrics and health publicly unless told not to, each on its own', () => {
    expect(parseAuthConfig({ public: { metrics: false } }, 'a').public).toEqual({
      healthz: true,
      metrics: false,
    });
    expect(issuesOf({ public: { metrics: 'no' } })).toEqual([
      { path: 'public.metrics', message: 'must be true or false' },
    ]);
  });

  it('holds ids and hashes to the whole value, not a part of it', () => {
    for (const id of [' ci', 'ci ', 'c/i'])
      expect(issuesOf({ apiKeys: [{ id, hash: HASH }] }), id).toEqual([
        { path: 'apiKeys[0].id', message: `${JSON.stringify(id)} is not matching /^[A-Za-z0-9._-]+$/` },
      ]);
    for (const hash of [`x${HASH}`, HASH.slice(0, -1), `${HASH}\n`])
      expect(issuesOf({ apiKeys: [{ id: 'ci', hash }] }), hash).toEqual([
        { path: 'apiKeys[0].hash', message: `${JSON.stringify(hash)} is not sha256:<64 hex digits>` },
      ]);
    expect(issuesOf({ jwt: { ...JWT, jwksUrl: 'xhttps://idp.test/' } })).toEqual([
      { path: 'jwt.jwksUrl', message: '"xhttps://idp.test/" is not an http(s) URL' },
      { path: 'jwt', message: 'needs exactly one of jwksFile and jwksUrl' },
    ]);
  });

  it('loads a YAML file, resolving the JWKS file against the file’s directory', () => {
    const file = join(dir, 'auth.yaml');
    writeFileSync(
      file,
      'jwt: { issuer: i, audience: a, jwksFile: jwks.json }\nrateLimit: { perSecond: 0.5 }\n',
    );
    const c = loadAuthConfig(file);
    expect(c.jwt?.jwksFile).toBe(join(dir, 'jwks.json'));
    expect(c.rateLimit).toEqual({ perSecond: 0.5, burst: 20 });
    writeFileSync(file, '');
    expect(loadAuthConfig(file).anonymous).toEqual([]);
    writeFileSync(file, 'anonymous: 3\n');
    expect(() => loadAuthConfig(file)).toThrow(file);
  });

  it('without a file, lets everyone in as admin of every namespace at 50/s burst 100', () => {
    expect(OPEN_AUTH).toEqual({
      apiKeys: [],
      mtls: [],
      anonymous: [{ role: 'admin', namespaces: ['*'] }],
      public: { healthz: true, metrics: true },
      rateLimit: { perSecond: 50, burst: 100 },
    });
  });
});

// In the order the checker walks: unknown keys, then the declared fields, then the jwt rule (the
// refused jwksUrl leaves the section with neither source).
const ISSUES = [
  { path: 'extra', message: 'unknown field' },
  { path: 'apiKeys[0].id', message: '"ci key" is not matching /^[A-Za-z0-9._-]+$/' },
  { path: 'apiKeys[1].hash', message: `"${HASH}0" is not sha256:<64 hex digits>` },
  { path: 'apiKeys[1].roles[0].role', message: 'must be one of viewer, operator, admin' },
  { path: 'apiKeys[1].roles[0].namespaces', message: 'must have at least 1 item(s)' },
  {
    path: 'apiKeys[2].hash',
    message: `"sha256:${'0123456789ABCDEF'.repeat(4)}" is not sha256:<64 hex digits>`,
  },
  { path: 'jwt.jwksUrl', message: '"ftp://idp.test/jwks" is not an http(s) URL' },
  {
    path: 'jwt.algorithms[0]',
    message: 'must be one of RS256, RS384, RS512, PS256, ES256, ES384, EdDSA (did you mean "RS256"?)',
  },
  { path: 'mtls[0].identity', message: '"urn:spiffe://td/ns/a/sa/b" is not matching /^spiffe:\\/\\//' },
  { path: 'anonymous[0].role', message: 'is required' },
  { path: 'public.healthz', message: 'must be true or false' },
  { path: 'rateLimit.perSecond', message: 'must be > 0' },
  { path: 'rateLimit.burst', message: 'must be >= 1' },
  { path: 'jwt', message: 'needs exactly one of jwksFile and jwksUrl' },
];
