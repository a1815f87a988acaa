// Who the admin API takes a caller for: which credential wins when several are sent, the principal
// each one yields (id, kind, the bindings of its config entry), and the reason each wrong one is
// refused with. The client certificate is real DER; the JWT is verified by the real verifier.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair as joseKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '../../kernel/errors/index.js';
import { EC_P256, generateKeyPair, x509 } from '../../kernel/tls/index.js';
import { hashApiKey } from './api-keys.js';
import { type AuthConfig, parseAuthConfig } from './auth-config.js';
import { Authenticator } from './authenticator.js';

const KEY = 'sy_the-ci-key';
const DEPLOYER = 'spiffe://td/ns/ops/sa/deployer';
const CI_ROLES = [{ role: 'operator' as const, namespaces: ['default'] }];
const ADMIN = [{ role: 'admin' as const, namespaces: ['*'] }];
const VIEWER = [{ role: 'viewer' as const, namespaces: ['default'] }];

let dir: string;
let config: AuthConfig;
let jwtKey: Awaited<ReturnType<typeof joseKeyPair>>['privateKey'];
let deployerCert: Uint8Array;
let strangerCert: Uint8Array;
let noIdCert: Uint8Array;

/** A self-signed certificate with these URI SANs (the TLS layer's verification is not the subject). */
async function certWith(uris: string[]): Promise<Uint8Array> {
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'O=Switchyard',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3_600_000),
    keys: await generateKeyPair(false),
    signingAlgorithm: EC_P256,
    extensions: uris.length
      ? [new x509.SubjectAlternativeNameExtension(uris.map((value) => ({ type: 'url' as const, value })))]
      : [],
  });
  return new Uint8Array(cert.rawData);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-authn-'));
  const pair = await joseKeyPair('ES256');
  jwtKey = pair.privateKey;
  writeFileSync(
    join(dir, 'jwks.json'),
    JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k' }] }),
  );
  config = parseAuthConfig(
    {
      apiKeys: [
        { id: 'other', hash: hashApiKey('sy_other-key'), roles: VIEWER },
        { id: 'ci', hash: hashApiKey(KEY), roles: CI_ROLES },
      ],
      jwt: {
        issuer: 'https://idp.test/',
        audience: 'switchyard',
        jwksFile: 'jwks.json',
        rolesClaim: 'roles',
      },
      mtls: [
        { identity: 'spiffe://td/ns/ops/sa/other', roles: VIEWER },
        { identity: DEPLOYER, roles: ADMIN },
      ],
      anonymous: VIEWER,
    },
    'auth.yaml',
    dir,
  );
  deployerCert = await certWith([DEPLOYER]);
  strangerCert = await certWith(['spiffe://td/ns/ops/sa/stranger']);
  noIdCert = await certWith([]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bearer = async (sub = 'alice') =>
  `Bearer ${await new SignJWT({ sub, roles: ['operator:team-a'] })
    .setProtectedHeader({ alg: 'ES256', kid: 'k' })
    .setIssuer('https://idp.test/')
    .setAudience('switchyard')
    .setExpirationTime('5m')
    .sign(jwtKey)}`;

const refusal = (reason: string) => new UnauthenticatedError(reason);

describe('Authenticator', () => {
  it('takes an API key from x-api-key or an ApiKey authorization, trimmed, for its entry’s roles', async () => {
    const a = new Authenticator(config);
    const ci = { id: 'apikey:ci', kind: 'apikey', bindings: CI_ROLES };
    expect(await a.authenticate({ headers: { 'x-api-key': KEY } })).toEqual(ci);
    expect(await a.authenticate({ headers: { authorization: `ApiKey  ${KEY} ` } })).toEqual(ci);
    // A repeated header counts by its first value.
    expect(await a.authenticate({ headers: { 'x-api-key': [KEY, 'sy_other-key'] } })).toEqual(ci);
  });

  it('refuses a key it does not know, also when the caller has a certificate', async () => {
    const a = new Authenticator(config);
    await expect(a.authenticate({ headers: { 'x-api-key': 'sy_nope' } })).rejects.toThrow(
      refusal('unknown API key'),
    );
    await expect(
      a.authenticate({ headers: { authorization: 'ApiKey sy_nope' }, verifiedPeerCertificate: deployerCert }),
    ).rejects.toThrow(refusal('unknown API key'));
    // An empty key is a key, and wrong.
    await expect(a.authenticate({ headers: { 'x-api-key': '' } })).rejects.toThrow(
      refusal('unknown API key'),
    );
  });

  it('prefers x-api-key over a bearer token', async () => {
    const a = new Authenticator(config);
    expect(
      await a.authenticate({ headers: { 'x-api-key': KEY, authorization: await bearer() } }),
    ).toMatchObject({
      id: 'apikey:ci',
    });
  });

  it('verifies a bearer token with the jwt section, and refuses one without a jwt section', async () => {
    const principal = await new Authenticator(config).authenticate({
      // Spaces around the token, as a hand-written header may have.
      headers: { authorization: `${(await bearer('alice')).replace('Bearer ', 'Bearer  ')} ` },
      verifiedPeerCertificate: deployerCert,
    });
    expect(principal).toEqual({
      id: 'jwt:alice',
      kind: 'jwt',
      bindings: [{ role: 'operator', namespaces: ['team-a'] }],
    });
    const { jwt: _, ...noJwt } = config;
    await expect(
      new Authenticator(noJwt).authenticate({ headers: { authorization: await bearer() } }),
    ).rejects.toThrow(refusal('bearer tokens are not accepted: no jwt section in the auth config'));
  });

  it('refuses any other authorization scheme rather than falling back to the certificate', async () => {
    const a = new Authenticator(config);
    for (const authorization of ['Basic YTpi', 'bearer x', 'ApiKey', 'Bearer'])
      await expect(
        a.authenticate({ headers: { authorization }, verifiedPeerCertificate: deployerCert }),
        authorization,
      ).rejects.toThrow(refusal('unsupported Authorization scheme (use Bearer or ApiKey)'));
  });

  it('takes a verified client certificate for the mtls entry of its SPIFFE ID', async () => {
    expect(
      await new Authenticator(config).authenticate({ headers: {}, verifiedPeerCertificate: deployerCert }),
    ).toEqual({ id: DEPLOYER, kind: 'mtls', bindings: ADMIN });
  });

  it('refuses a certificate without an mtls entry or without a SPIFFE ID, naming why', async () => {
    const a = new Authenticator(config);
    await expect(a.authenticate({ headers: {}, verifiedPeerCertificate: strangerCert })).rejects.toThrow(
      refusal('client certificate spiffe://td/ns/ops/sa/stranger is not known to the admin API'),
    );
    await expect(a.authenticate({ headers: {}, verifiedPeerCertificate: noIdCert })).rejects.toThrow(
      refusal('client certificate: certificate has no URI SAN'),
    );
  });

  it('gives a caller with no credentials (an empty certificate is none) the anonymous roles', async () => {
    const a = new Authenticator(config);
    const anonymous = { id: 'anonymous', kind: 'anonymous', bindings: VIEWER };
    expect(await a.authenticate({ headers: {} })).toEqual(anonymous);
    expect(await a.authenticate({ headers: {}, verifiedPeerCertificate: new Uint8Array() })).toEqual(
      anonymous,
    );
    expect(await a.authenticate({ headers: { authorization: '' } })).toEqual(anonymous);
  });
});
