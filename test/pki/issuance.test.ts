// The CSR endpoint end to end: a real HTTPS server (startCsrServer), CSRs made like the agent
// makes them, tokens and client certificates as proofs, and the audit sink watching.
import { X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CertificateAuthority,
  type CsrServer,
  createCsr,
  exportKeyPem,
  issueLocally,
  type MemoryAuditSink,
  postCsr,
  startCsrServer,
} from '../../control-plane/pki/index.js';
import {
  compileAllowList,
  controlPlaneId,
  generateKeyPair,
  spiffeServerIdentityCheck,
  TlsMaterial,
  x509,
} from '../../kernel/tls/index.js';
import { DB, newCa, newIssuer, TD, TestClock, WEB } from '../helpers/pki.js';

const H = 3_600_000;
type Issuer = ReturnType<typeof newIssuer>;

/** POST raw JSON, optionally with a client certificate; resolves with status and parsed body. */
function post(
  url: string,
  body: unknown,
  trust: string,
  material?: TlsMaterial,
  contentType = 'application/json',
) {
  return new Promise<{ status: number; json: Record<string, unknown> }>((resolve, reject) => {
    const req = request(
      new URL('/api/v1/certificates', url),
      {
        method: 'POST',
        agent: false,
        ca: trust,
        ...(material ? { key: material.privateKey, cert: material.certificateChain } : {}),
        checkServerIdentity: spiffeServerIdentityCheck(compileAllowList([controlPlaneId(TD)])),
        headers: { 'content-type': contentType },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, json: JSON.parse(Buffer.concat(chunks).toString() || '{}') }),
        );
      },
    );
    req.on('error', reject);
    req.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
}

async function csrFor(sans: Parameters<typeof createCsr>[1]) {
  const keys = await generateKeyPair(true);
  return { keys, csr: await createCsr(keys, sans) };
}

describe('CSR endpoint', () => {
  let ca: CertificateAuthority;
  let iss: Issuer;
  let audit: MemoryAuditSink;
  let srv: CsrServer;
  let trust: string;
  const clock = new TestClock();

  beforeAll(async () => {
    ({ ca } = await newCa(undefined, clock));
    iss = newIssuer(ca);
    audit = iss.audit;
    srv = await startCsrServer({ authority: ca, issuer: iss.issuer });
    trust = ca.trustBundle().pem;
  });
  afterAll(() => srv.close());

  /** Bootstraps WEB with a token and returns its material. */
  async function bootstrap(identity = WEB): Promise<TlsMaterial> {
    const { token } = await iss.tokens.create(identity);
    const { keys, csr } = await csrFor([{ type: 'url', value: identity }]);
    const res = await postCsr(
      srv.url,
      { csr, token },
      { trustBundle: trust, expectServer: compileAllowList([controlPlaneId(TD)]) },
    );
    return new TlsMaterial(res.certificateChain, await exportKeyPem(keys.privateKey), res.trustBundle);
  }

  it('issues a 24 h workload certificate for a token, with the right extensions and renewAt', async () => {
    const { token } = await iss.tokens.create(WEB);
    const { csr } = await csrFor([{ type: 'url', value: WEB }]);
    const before = Date.now();
    const { status, json } = await post(srv.url, { csr, token }, trust);
    expect(status).toBe(200);
    expect(json.identity).toBe(WEB);
    const leaf = new X509Certificate(json.certificateChain as string);
    expect(leaf.subjectAltName).toBe(`URI:${WEB}`);
    expect(leaf.ca).toBe(false);
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(leaf.toLegacyObject().ext_key_usage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    const peculiar = new x509.X509Certificate(leaf.raw);
    expect(peculiar.getExtension(x509.KeyUsagesExtension)!.usages).toBe(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
    );
    expect(peculiar.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId).toMatch(/^[0-9a-f]{40}$/);
    const intermediate = new X509Certificate((json.certificateChain as string).split(/(?=-----BEGIN)/)[1]!);
    expect(peculiar.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId).toBe(
      new x509.X509Certificate(intermediate.raw).getExtension(x509.SubjectKeyIdentifierExtension)!.keyId,
    );
    expect(leaf.checkIssued(intermediate)).toBe(true);
    const expiresAt = Date.parse(json.expiresAt as string);
    expect(expiresAt - before).toBeGreaterThan(24 * H - 5000);
    expect(expiresAt - before).toBeLessThanOrEqual(24 * H + 1000);
    const renewIn = Date.parse(json.renewAt as string) - before;
    expect(renewIn).toBeGreaterThan(0.45 * 24 * H - 5000);
    expect(renewIn).toBeLessThan(0.55 * 24 * H + 1000);
    expect(json.trustBundle).toBe(ca.trustBundle().pem);
    expect(audit.ofType('certificate.issued').at(-1)).toMatchObject({ identity: WEB, method: 'token' });
  });

  it('spends a token once', async () => {
    const { token } = await iss.tokens.create(WEB);
    const { csr } = await csrFor([{ type: 'url', value: WEB }]);
    expect((await post(srv.url, { csr, token }, trust)).status).toBe(200);
    const again = await post(srv.url, { csr, token }, trust);
    expect(again).toEqual({
      status: 401,
      json: {
        code: 'SY_PKI_UNAUTHENTICATED',
        message: 'not authenticated: unknown or already used bootstrap token',
      },
    });
    expect(audit.ofType('auth.failed').at(-1)).toMatchObject({ method: 'token' });
  });

  it('refuses an expired token', async () => {
    clock.offsetMs = -2 * H;
    const { token } = await iss.tokens.create(WEB, H);
    clock.offsetMs = 0;
    const { csr } = await csrFor([{ type: 'url', value: WEB }]);
    expect((await post(srv.url, { csr, token }, trust)).json.message).toMatch(/bootstrap token expired/);
  });

  it.each([
    [
      'two URI SANs',
      [
        { type: 'url', value: WEB },
        { type: 'url', value: DB },
      ],
      /exactly one SAN is allowed, found 2/,
    ],
    [
      'a DNS SAN beside the identity',
      [
        { type: 'url', value: WEB },
        { type: 'dns', value: 'db.internal' },
      ],
      /SAN dns:db.internal is not allowed/,
    ],
    [
      'an IP SAN beside the identity',
      [
        { type: 'url', value: WEB },
        { type: 'ip', value: '10.1.2.3' },
      ],
      /SAN ip:10.1.2.3 is not allowed/,
    ],
    ['a foreign identity', [{ type: 'url', value: DB }], /is not the proven identity/],
  ] as const)('refuses and audits a CSR with %s', async (_what, sans, reason) => {
    const { token } = await iss.tokens.create(WEB);
    const { csr } = await csrFor(sans);
    const { status, json } = await post(srv.url, { csr, token }, trust);
    expect(status).toBe(403);
    expect(json.code).toBe('SY_PKI_CSR_REFUSED');
    const refused = audit.ofType('csr.refused').at(-1)!;
    expect(refused).toMatchObject({ identity: WEB, method: 'token' });
    expect(refused.reasons.join('\n')).toMatch(reason);
    expect(refused.requested).toEqual(sans.map((s) => `${s.type}:${s.value}`));
    // The token was spent by the refused attempt: no second try with a corrected CSR.
    const { csr: fixed } = await csrFor([{ type: 'url', value: WEB }]);
    expect((await post(srv.url, { csr: fixed, token }, trust)).status).toBe(401);
  });

  it('renews with the current certificate over mTLS, for that identity only', async () => {
    const web = await bootstrap();
    const { csr } = await csrFor([{ type: 'url', value: WEB }]);
    const renewed = await post(srv.url, { csr }, trust, web);
    expect(renewed.status).toBe(200);
    expect(audit.ofType('certificate.issued').at(-1)).toMatchObject({ identity: WEB, method: 'certificate' });
    const { csr: other } = await csrFor([{ type: 'url', value: DB }]);
    const stolen = await post(srv.url, { csr: other }, trust, web);
    expect(stolen.status).toBe(403);
    expect(audit.ofType('csr.refused').at(-1)).toMatchObject({ identity: WEB, method: 'certificate' });
  });

  it('refuses an expired client certificate and one from another CA', async () => {
    clock.offsetMs = -3 * H;
    const shortIssuer = newIssuer(ca, H);
    const { token } = await shortIssuer.tokens.create(WEB);
    const { keys, csr } = await csrFor([{ type: 'url', value: WEB }]);
    const old = await shortIssuer.issuer.issue({ csrPem: csr, token });
    clock.offsetMs = 0;
    const expired = new TlsMaterial(
      old.certificateChain,
      await exportKeyPem(keys.privateKey),
      old.trustBundle,
    );
    const { csr: next } = await csrFor([{ type: 'url', value: WEB }]);
    const r1 = await post(srv.url, { csr: next }, trust, expired);
    expect(r1.status).toBe(401);
    expect(r1.json.message).toMatch(/expired/);
    const other = await newCa();
    const foreign = await issueLocally(other.ca, WEB);
    const r2 = await post(srv.url, { csr: next }, trust, foreign.material);
    expect(r2.status).toBe(401);
    expect(r2.json.message).toMatch(/no trusted issuer/);
  });

  it('answers 401 without any proof, 400 for bodies that are not a CSR request', async () => {
    const { csr } = await csrFor([{ type: 'url', value: WEB }]);
    expect((await post(srv.url, { csr }, trust)).status).toBe(401);
    expect((await post(srv.url, '{not json', trust)).json.code).toBe('SY_PKI_CSR_INVALID');
    expect((await post(srv.url, { csr: 'hello', token: 'x' }, trust)).json).toMatchObject({
      code: 'SY_PKI_CSR_INVALID',
    });
    expect((await post(srv.url, { csr }, trust, undefined, 'text/plain')).status).toBe(400);
    expect(audit.ofType('csr.invalid').length).toBeGreaterThan(0);
  });
});
