// Unit tests of the pod's access pieces, each alone: token buckets and their bounded tenant map,
// the API-key index, the pure decision steps, and the JWT verifier with real ES256 keys (jose).
import { createHash } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { AccessJwt } from '../../kernel/contract/index.js';
import { ApiKeyIndex } from './api-keys.js';
import { combineCredentials, credentialsOf, identityStep, tenantOf } from './decision.js';
import { AccessEnforcer } from './enforcer.js';
import { JwtVerifier } from './jwt-verifier.js';
import { TenantBuckets, TokenBucket } from './rate-limit.js';
import { AccessRefusedError } from './refusal.js';

const sha = (k: string) => createHash('sha256').update(k).digest('hex');

describe('token buckets', () => {
  it('let a burst through, then say how many whole seconds until the next token', () => {
    const b = new TokenBucket({ rps: 2, burst: 3 }, 0);
    for (let i = 0; i < 3; i++) {
      expect(b.wait(0)).toBe(0);
      b.take();
    }
    expect(b.wait(0)).toBe(1);
    expect(b.wait(499)).toBe(1);
    expect(b.wait(500)).toBe(0);
    const slow = new TokenBucket({ rps: 0.1, burst: 1 }, 0);
    slow.take();
    expect(slow.wait(0)).toBe(10);
    expect(slow.wait(5000)).toBe(5);
  });

  it('keep tenants apart, use named limits, and stay bounded by dropping idle tenants first', () => {
    const t = new TenantBuckets((name) => (name === 'gold' ? { rps: 1, burst: 5 } : { rps: 1, burst: 1 }), 3);
    t.get('a', 0)!.take();
    expect(t.get('a', 0)!.wait(0)).toBe(1);
    expect(t.get('b', 0)!.wait(0)).toBe(0);
    const gold = t.get('gold', 0)!;
    for (let i = 0; i < 5; i++) gold.take();
    expect(gold.wait(0)).toBe(1);
    // b is full (idle), so it goes before the busy ones.
    t.get('c', 0);
    expect(t.size).toBe(3);
    expect(t.get('a', 0)!.wait(0)).toBe(1);
    const none = new TenantBuckets(() => undefined);
    expect(none.get('x', 0)).toBeUndefined();
  });
});

describe('API keys', () => {
  const index = new ApiKeyIndex(
    new Map([
      ['fraud', { apiKeys: [{ sha256: sha('k-fraud'), tenant: 'acme' }] }],
      ['churn', { apiKeys: [{ sha256: sha('k-churn'), tenant: 'globex' }] }],
    ]),
  );

  it('find a key by its hash for its model, tell another model apart from an unknown key', () => {
    expect(index.lookup('k-fraud', 'fraud')).toEqual({ model: 'fraud', tenant: 'acme' });
    expect(index.lookup('k-churn', 'fraud')).toBe('other');
    expect(index.lookup('k-nobody', 'fraud')).toBe('unknown');
    expect(index.lookup('', 'fraud')).toBe('unknown');
    expect(index.lookup('x'.repeat(10_000), 'fraud')).toBe('unknown');
  });
});

describe('decision steps', () => {
  it('read bearer tokens and API keys, and flag an Authorization that is not Bearer', () => {
    const h = (m: Record<string, string>) => (n: string) => m[n];
    expect(credentialsOf(h({ authorization: 'Bearer abc.def.ghi' }))).toEqual({ bearer: 'abc.def.ghi' });
    expect(credentialsOf(h({ authorization: 'bearer  t ' }))).toEqual({ bearer: 't' });
    expect(credentialsOf(h({ authorization: 'Basic dXNlcg==' }))).toEqual({ malformed: true });
    expect(credentialsOf(h({ 'x-api-key': 'k' }))).toEqual({ apiKey: 'k' });
    expect(credentialsOf(h({}))).toEqual({});
  });

  it('check identities exactly or under a prefix at a path boundary', () => {
    const rules = ['spiffe://td/ns/web/sa/a', 'spiffe://td/ns/batch/*'];
    expect(identityStep(undefined, undefined)).toBeUndefined();
    expect(identityStep(rules, undefined)).toBe('identity_missing');
    expect(identityStep(rules, 'spiffe://td/ns/web/sa/a')).toBeUndefined();
    expect(identityStep(rules, 'spiffe://td/ns/batch/sa/x')).toBeUndefined();
    expect(identityStep(rules, 'spiffe://td/ns/batchy/sa/x')).toBe('identity_denied');
    expect(identityStep(rules, 'spiffe://td/ns/web/sa/ab')).toBe('identity_denied');
  });

  it('take any passing credential, else report 403 before 401, else missing or malformed', () => {
    expect(
      combineCredentials(
        [
          { ok: false, reason: 'key_unknown' },
          { ok: true, tenant: 't' },
        ],
        false,
      ),
    ).toEqual({
      ok: true,
      tenant: 't',
    });
    expect(
      combineCredentials(
        [
          { ok: false, reason: 'key_unknown' },
          { ok: false, reason: 'token_scope' },
        ],
        false,
      ),
    ).toEqual({ ok: false, reason: 'token_scope' });
    expect(combineCredentials([], false)).toEqual({ ok: false, reason: 'credential_missing' });
    expect(combineCredentials([], true)).toEqual({ ok: false, reason: 'credential_malformed' });
    expect(tenantOf('acme', 'spiffe://x')).toBe('acme');
    expect(tenantOf(undefined, 'spiffe://x')).toBe('spiffe://x');
    expect(tenantOf(undefined, undefined)).toBe('anonymous');
  });
});

describe('JWT verifier', async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
  const rule: AccessJwt = {
    issuer: 'https://issuer.test',
    audiences: ['fraud-api'],
    jwks: { inline: { keys: [jwk] } },
    algorithms: ['ES256'],
    requiredClaims: { tier: 'gold' },
    scopes: ['predict'],
    tenantClaim: 'org',
    clockSkew: '30s',
  };
  let now = Date.now();
  const v = new JwtVerifier(rule, () => now);
  const sign = (claims: Record<string, unknown>, exp = '5m') =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer('https://issuer.test')
      .setAudience('fraud-api')
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(privateKey);

  it('accepts a good token, names its tenant, and refuses claims and scopes with the 403 reasons', async () => {
    const good = await v.verify(await sign({ tier: 'gold', scope: 'read predict', org: 'acme' }));
    expect(good.ok).toBe(true);
    if (good.ok) expect(v.tenantOf(good.payload)).toBe('acme');
    expect(await v.verify(await sign({ tier: 'silver', scope: 'predict' }))).toEqual({
      ok: false,
      reason: 'token_claims',
    });
    expect(await v.verify(await sign({ tier: 'gold', scp: ['read'] }))).toEqual({
      ok: false,
      reason: 'token_scope',
    });
    expect((await v.verify(await sign({ tier: 'gold', scp: ['predict'] }))).ok).toBe(true);
  });

  it('refuses a token without exp, and an expired one once the cache entry lapses', async () => {
    const noExp = await new SignJWT({ tier: 'gold', scope: 'predict' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer('https://issuer.test')
      .setAudience('fraud-api')
      .sign(privateKey);
    expect(await v.verify(noExp)).toEqual({ ok: false, reason: 'token_invalid' });
    const short = await sign({ tier: 'gold', scope: 'predict' }, '2s');
    expect((await v.verify(short)).ok).toBe(true);
    now += 2000 + 31_000;
    expect(await v.verify(short)).toEqual({ ok: false, reason: 'token_expired' });
    now = Date.now();
  });

  it('refuses with jwks_unavailable when a JWKS URL cannot be fetched', async () => {
    const { createServer } = await import('node:net');
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise((r) => srv.close(r));
    const remote = new JwtVerifier({ ...rule, jwks: { uri: `http://127.0.0.1:${port}/jwks.json` } });
    expect(await remote.verify(await sign({ tier: 'gold', scope: 'predict' }))).toEqual({
      ok: false,
      reason: 'jwks_unavailable',
    });
  });

  it('refuses other algorithms before looking at keys, and garbage as malformed', async () => {
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.`;
    expect(await v.verify(none)).toEqual({ ok: false, reason: 'token_algorithm' });
    expect(await v.verify('not-a-jwt')).toEqual({ ok: false, reason: 'credential_malformed' });
    expect(await v.verify('')).toEqual({ ok: false, reason: 'credential_malformed' });
  });
});

describe('enforcer', () => {
  const counts: string[] = [];
  const counters = {
    allowed: (m: string) => counts.push(`ok ${m}`),
    refused: (m: string, r: string) => counts.push(`${r} ${m}`),
  };

  it('refuses everything while pending, then enforces; models without rules stay open', async () => {
    let now = 0;
    const e = new AccessEnforcer('pending', counters, () => now);
    const caller = (key?: string) => ({
      peer: undefined,
      header: (n: string) => (n === 'x-api-key' ? key : undefined),
    });
    await expect(e.check('fraud', caller())).rejects.toMatchObject({
      reason: 'rules_pending',
      httpStatus: 503,
    });
    e.setRules({
      version: 'v1',
      models: {
        fraud: {
          apiKeys: [{ sha256: sha('k1'), tenant: 'acme' }],
          rateLimit: { model: { rps: 1, burst: 1 } },
        },
      },
    });
    expect(await e.check('open-model', caller())).toEqual({});
    expect(await e.check('fraud', caller('k1'))).toEqual({ tenant: 'acme' });
    const limited = await e.check('fraud', caller('k1')).catch((err: AccessRefusedError) => err);
    expect(limited).toBeInstanceOf(AccessRefusedError);
    expect((limited as AccessRefusedError).retryAfterSeconds).toBe(1);
    expect((limited as AccessRefusedError).httpStatus).toBe(429);
    now += 1000;
    await expect(e.check('fraud', caller('nope'))).rejects.toMatchObject({
      reason: 'key_unknown',
      httpStatus: 401,
    });
    expect(await e.check('fraud', caller('k1'))).toEqual({ tenant: 'acme' });
    expect(counts).toEqual([
      'rules_pending fraud',
      'ok fraud',
      'rate_model fraud',
      'key_unknown fraud',
      'ok fraud',
    ]);
  });

  it('keeps a model whose rules did not change, buckets included, across new rule versions', async () => {
    const e = new AccessEnforcer('open', counters, () => 0);
    const fraud = { rateLimit: { model: { rps: 1, burst: 1 } } };
    e.setRules({ version: 'a', models: { fraud } });
    await e.check('fraud', { peer: undefined, header: () => undefined });
    e.setRules({ version: 'b', models: { fraud, other: { rateLimit: { model: { rps: 5, burst: 5 } } } } });
    await expect(e.check('fraud', { peer: undefined, header: () => undefined })).rejects.toMatchObject({
      reason: 'rate_model',
    });
  });
});
