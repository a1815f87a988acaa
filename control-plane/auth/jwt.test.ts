// The JWT verifier against a JWKS file whose keys carry no `alg`: then the configured allow-list
// is the only thing that decides which signature algorithms count.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '../../kernel/errors/index.js';
import type { JwtConfig } from './auth-config.js';
import { bindingsFromClaim, JwtVerifier } from './jwt.js';

const ISSUER = 'https://issuer.test/';
const AUDIENCE = 'switchyard';
let dir: string;
let jwksFile: string;
let ec: Awaited<ReturnType<typeof generateKeyPair>>;
let rsa: Awaited<ReturnType<typeof generateKeyPair>>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-jwt-'));
  ec = await generateKeyPair('ES256', { extractable: true });
  rsa = await generateKeyPair('RS256', { extractable: true });
  // No `alg` on either key: jose would use each with any algorithm of its key type.
  const keys = [
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', use: 'sig' },
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', use: 'sig' },
  ];
  jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = (algorithms: string[]): JwtConfig => ({
  issuer: ISSUER,
  audience: AUDIENCE,
  jwksFile,
  algorithms,
  rolesClaim: 'roles',
  subjectClaim: 'sub',
});

async function token(alg: 'ES256' | 'RS256', claims: Record<string, unknown> = {}): Promise<string> {
  const key = alg === 'ES256' ? ec.privateKey : rsa.privateKey;
  return new SignJWT({ sub: 'alice', roles: ['operator:default'], ...claims })
    .setProtectedHeader({ alg, kid: alg === 'ES256' ? 'ec-1' : 'rsa-1' })
    .setIssuer((claims.iss as string | undefined) ?? ISSUER)
    .setAudience((claims.aud as string | undefined) ?? AUDIENCE)
    .setExpirationTime((claims.exp as number | undefined) ?? '5m')
    .sign(key);
}

describe('JwtVerifier', () => {
  it('refuses a token signed with an algorithm outside the allow-list, though its key matches', async () => {
    await expect(new JwtVerifier(config(['RS256'])).verify(await token('ES256'))).rejects.toThrow(
      /bearer token rejected \(ERR_JOSE_ALG_NOT_ALLOWED\)/,
    );
  });

  it('accepts the same token once its algorithm is allowed, with roles from the claim', async () => {
    expect(await new JwtVerifier(config(['RS256', 'ES256'])).verify(await token('ES256'))).toEqual({
      id: 'jwt:alice',
      kind: 'jwt',
      bindings: [{ role: 'operator', namespaces: ['default'] }],
    });
    expect((await new JwtVerifier(config(['RS256'])).verify(await token('RS256'))).id).toBe('jwt:alice');
  });

  it('refuses a token without the subject claim', async () => {
    await expect(
      new JwtVerifier(config(['ES256'])).verify(await token('ES256', { sub: '' })),
    ).rejects.toThrow('bearer token has no sub claim');
  });

  it('refuses a token whose subject claim is absent, reading the configured claim', async () => {
    const noSub = await new SignJWT({ roles: ['viewer:*'] })
      .setProtectedHeader({ alg: 'ES256', kid: 'ec-1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(ec.privateKey);
    await expect(new JwtVerifier(config(['ES256'])).verify(noSub)).rejects.toThrow(
      new UnauthenticatedError('bearer token has no sub claim'),
    );
    const byEmail = new JwtVerifier({ ...config(['ES256']), subjectClaim: 'email', rolesClaim: 'groups' });
    expect(
      await byEmail.verify(await token('ES256', { email: 'bob@example.org', groups: 'admin:ops' })),
    ).toEqual({ id: 'jwt:bob@example.org', kind: 'jwt', bindings: [{ role: 'admin', namespaces: ['ops'] }] });
    await expect(byEmail.verify(await token('ES256'))).rejects.toThrow('bearer token has no email claim');
  });

  it("names jose's reason for a token of another issuer or audience, or an expired one", async () => {
    const v = new JwtVerifier(config(['ES256']));
    await expect(v.verify(await token('ES256', { iss: 'https://evil.test/' }))).rejects.toThrow(
      'bearer token rejected (ERR_JWT_CLAIM_VALIDATION_FAILED): unexpected "iss" claim value',
    );
    await expect(v.verify(await token('ES256', { aud: 'other' }))).rejects.toThrow(
      'bearer token rejected (ERR_JWT_CLAIM_VALIDATION_FAILED): unexpected "aud" claim value',
    );
    await expect(
      v.verify(await token('ES256', { exp: Math.floor(Date.now() / 1000) - 600 })),
    ).rejects.toThrow('bearer token rejected (ERR_JWT_EXPIRED): "exp" claim timestamp check failed');
    await expect(v.verify('not.a.jwt')).rejects.toThrow(/^bearer token rejected \(ERR_JWS_INVALID\): \S/);
  });

  it('names an unreachable JWKS endpoint, whose error carries no jose code, as an invalid token', async () => {
    // A loopback port that was just free: nothing listens there.
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const { port } = srv.address() as AddressInfo;
    await new Promise((r) => srv.close(r));
    const { jwksFile: _, ...rest } = config(['ES256']);
    const remote = new JwtVerifier({ ...rest, jwksUrl: `http://127.0.0.1:${port}/jwks.json` });
    await expect(remote.verify(await token('ES256'))).rejects.toThrow(
      'bearer token rejected (ERR_JWT_INVALID): fetch failed',
    );
  });

  it('refuses a token without exp', async () => {
    const noExp = await new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'ES256', kid: 'ec-1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .sign(ec.privateKey);
    await expect(new JwtVerifier(config(['ES256'])).verify(noExp)).rejects.toThrow(/"exp" claim/);
  });
});

describe('bindingsFromClaim', () => {
  it('reads lists and space or comma separated strings, and grants nothing for malformed entries', () => {
    expect(bindingsFromClaim(['viewer:*', 'admin:ops'])).toEqual([
      { role: 'viewer', namespaces: ['*'] },
      { role: 'admin', namespaces: ['ops'] },
    ]);
    expect(bindingsFromClaim('viewer:a, operator:b')).toEqual([
      { role: 'viewer', namespaces: ['a'] },
      { role: 'operator', namespaces: ['b'] },
    ]);
    expect(bindingsFromClaim(['root:*', 'viewer', 'viewer:', 7])).toEqual([]);
    expect(bindingsFromClaim('viewer:a\toperator:b\n admin:c,,viewer:d')).toEqual([
      { role: 'viewer', namespaces: ['a'] },
      { role: 'operator', namespaces: ['b'] },
      { role: 'admin', namespaces: ['c'] },
      { role: 'viewer', namespaces: ['d'] },
    ]);
    expect(bindingsFromClaim(undefined)).toEqual([]);
    expect(bindingsFromClaim({ viewer: '*' })).toEqual([]);
  });
});
