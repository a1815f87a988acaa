// Issuance rules of WorkloadIssuer against a real in-memory CA: which proof counts, what is
// checked in which order, and the audit record of every outcome (written out field by field).
import { webcrypto, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CryptoKeyPair, generateKeyPair } from '../../../kernel/tls/index.js';
import { CertificateAuthority, MemoryCaStore } from '../ca/authority.js';
import { CsrInvalidError, CsrRefusedError, UnauthenticatedError } from '../errors.js';
import { MemoryAuditSink } from './audit.js';
import { createCsr, parseCsr } from './csr.js';
import { WorkloadIssuer } from './issuer.js';
import { BootstrapTokens, FileTokenStore, hashToken, MemoryTokenStore } from './tokens.js';

const TD = 'example.org';
const WEB = `spiffe://${TD}/ns/default/sa/web`;
const DB = `spiffe://${TD}/ns/default/sa/db`;
const H = 3_600_000;
// A fixed clock: every timestamp below is exact.
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);

let ca: CertificateAuthority;
let otherCa: CertificateAuthority;

beforeAll(async () => {
  ca = await CertificateAuthority.create({ trustDomain: TD, store: new MemoryCaStore(), now: () => NOW });
  otherCa = await CertificateAuthority.create({
    trustDomain: TD,
    store: new MemoryCaStore(),
    now: () => NOW,
  });
});

function setup(authority = ca, extra: Partial<ConstructorParameters<typeof WorkloadIssuer>[0]> = {}) {
  const audit = new MemoryAuditSink();
  const store = new MemoryTokenStore();
  const tokens = new BootstrapTokens(store, TD, () => NOW);
  const issuer = new WorkloadIssuer({ authority, tokens, audit, random: () => 0.75, ...extra });
  return { issuer, tokens, audit, store };
}

const csrFor = async (...uris: string[]) =>
  createCsr(
    await generateKeyPair(true),
    uris.map((value) => ({ type: 'url' as const, value })),
  );

describe('WorkloadIssuer', () => {
  it('issues for a token: 24 h by default, chain and bundle of the CA, renewal by the policy, audited', async () => {
    const { issuer, tokens, audit } = setup();
    expect(issuer.ttlMs).toBe(24 * H);
    const { token } = await tokens.create(WEB);
    const out = await issuer.issue({ csrPem: await csrFor(WEB), token, remote: '10.0.0.7:5000' });
    expect(out.identity).toBe(WEB);
    expect(out.expiresAt.getTime()).toBe(NOW.getTime() + 24 * H);
    // fraction 0.5 + jitter 0.1 * (0.75 - 0.5) = 0.525 of the life.
    expect(out.renewAt.getTime()).toBe(NOW.getTime() + Math.round(24 * H * 0.525));
    expect(out.trustBundle).toBe(ca.trustBundle().pem);
    expect(out.trustBundleVersion).toBe(ca.trustBundle().version);
    const leaf = new X509Certificate(out.certificateChain.split(/(?=-----BEGIN)/)[0]!);
    expect(leaf.subjectAltName).toBe(`URI:${WEB}`);
    expect(out.serialNumber).toBe(leaf.serialNumber.toLowerCase());
    expect(out.notBefore.getTime()).toBe(new Date(leaf.validFrom).getTime());
    expect(audit.events).toEqual([
      {
        type: 'certificate.issued',
        identity: WEB,
        method: 'token',
        serialNumber: out.serialNumber,
        notAfter: out.expiresAt.toISOString(),
        generation: expect.any(String),
        at: NOW.toISOString(),
        remote: '10.0.0.7:5000',
      },
    ]);
  });

  it('uses the configured lifetime, and renews over mTLS with the certificate it issued', async () => {
    const { issuer, tokens, audit } = setup(ca, { ttlMs: 2 * H });
    expect(issuer.ttlMs).toBe(2 * H);
    const { token } = await tokens.create(WEB);
    const first = await issuer.issue({ csrPem: await csrFor(WEB), token });
    expect(first.expiresAt.getTime()).toBe(NOW.getTime() + 2 * H);
    const [leafPem, ...chainPem] = first.certificateChain.split(/(?=-----BEGIN)/);
    const der = (pem: string) => new Uint8Array(new X509Certificate(pem).raw);
    const second = await issuer.issue({
      csrPem: await csrFor(WEB),
      peer: { raw: der(leafPem!), chain: chainPem.map(der) },
    });
    expect(second.identity).toBe(WEB);
    expect(audit.events.map((e) => [e.type, 'method' in e ? e.method : undefined])).toEqual([
      ['certificate.issued', 'token'],
      ['certificate.issued', 'certificate'],
    ]);
    // No remote given: the record has none.
    expect('remote' in audit.events[1]!).toBe(false);
  });

  it('refuses a caller with no proof (an empty client certificate counts as none)', async () => {
    const { issuer, audit } = setup();
    const why = new UnauthenticatedError('send a bootstrap token or present a client certificate');
    await expect(issuer.issue({ csrPem: await csrFor(WEB) })).rejects.toThrow(why);
    await expect(
      issuer.issue({ csrPem: await csrFor(WEB), peer: { raw: new Uint8Array() } }),
    ).rejects.toThrow(why);
    expect(audit.events).toEqual([
      { type: 'auth.failed', method: 'none', reason: why.message, at: NOW.toISOString() },
      { type: 'auth.failed', method: 'none', reason: why.message, at: NOW.toISOString() },
    ]);
  });

  it('refuses a client certificate of another CA, naming the chain problem, audited as a certificate proof', async () => {
    const { issuer: foreign, tokens } = setup(otherCa);
    const { token } = await tokens.create(WEB);
    const theirs = await foreign.issue({ csrPem: await csrFor(WEB), token });
    const { issuer, audit } = setup();
    const raw = new Uint8Array(new X509Certificate(theirs.certificateChain.split(/(?=-----BEGIN)/)[0]!).raw);
    await expect(issuer.issue({ csrPem: await csrFor(WEB), peer: { raw }, remote: 'r' })).rejects.toThrow(
      /^not authenticated: client certificate: \S/,
    );
    expect(audit.events).toHaveLength(1);
    expect(audit.events[0]).toMatchObject({ type: 'auth.failed', method: 'certificate', remote: 'r' });
    expect(audit.ofType('auth.failed')[0]?.reason).toMatch(/^not authenticated: client certificate: /);
  });

  it('checks the CSR before spending a token: an unusable CSR leaves the token valid', async () => {
    const { issuer, tokens, audit } = setup();
    const { token } = await tokens.create(WEB);
    await expect(issuer.issue({ csrPem: 'not a csr', token })).rejects.toThrow(CsrInvalidError);
    // The same CSR with the last byte of its signature flipped.
    const der = Buffer.from((await csrFor(WEB)).replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 1]! ^= 1;
    const forged = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await expect(issuer.issue({ csrPem: forged, token })).rejects.toThrow(
      'certificate signing request unusable: its signature does not verify with its own public key',
    );
    expect(audit.events.map((e) => e.type)).toEqual(['csr.invalid', 'csr.invalid']);
    expect(audit.ofType('csr.invalid')[1]?.reason).toMatch(/^certificate signing request unusable: /);
    expect((await issuer.issue({ csrPem: await csrFor(WEB), token })).identity).toBe(WEB);
  });

  it('refuses a CSR for another identity than the proven one, spends the token, and records what was asked', async () => {
    const { issuer, tokens, audit } = setup();
    const { token } = await tokens.create(WEB);
    const err = await issuer.issue({ csrPem: await csrFor(DB), token }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CsrRefusedError);
    expect((err as CsrRefusedError).identity).toBe(WEB);
    expect(audit.events).toHaveLength(1);
    expect(audit.events[0]).toMatchObject({
      type: 'csr.refused',
      identity: WEB,
      method: 'token',
      requested: [`url:${DB}`],
      at: NOW.toISOString(),
    });
    expect(audit.ofType('csr.refused')[0]?.reasons).toEqual((err as CsrRefusedError).reasons);
    expect((err as CsrRefusedError).reasons.length).toBeGreaterThan(0);
    await expect(issuer.issue({ csrPem: await csrFor(WEB), token })).rejects.toThrow(
      'not authenticated: unknown or already used bootstrap token',
    );
    expect(audit.events[1]).toEqual({
      type: 'auth.failed',
      method: 'token',
      reason: 'not authenticated: unknown or already used bootstrap token',
      at: NOW.toISOString(),
    });
  });

  it('prefers the token when a caller sends both proofs', async () => {
    const { issuer, tokens } = setup();
    const { token } = await tokens.create(DB);
    const other = await issuer.issue({ csrPem: await csrFor(WEB), token: (await tokens.create(WEB)).token });
    const raw = new Uint8Array(new X509Certificate(other.certificateChain.split(/(?=-----BEGIN)/)[0]!).raw);
    expect(await issuer.authenticate({ csrPem: '', token, peer: { raw } })).toEqual({
      identity: DB,
      method: 'token',
    });
  });

  it('refuses a certificate of its own CA whose URI SAN is no workload SPIFFE ID, naming why', async () => {
    const { issuer, audit } = setup();
    // The CA signs what it is given (the identity checks come before it); this one names no workload.
    const { csr } = await parseCsr(await csrFor(WEB));
    const signed = await ca.signLeaf(`spiffe://${TD}/web`, csr.publicKey, H);
    const [, ...chainPem] = signed.certificateChainPem.split(/(?=-----BEGIN)/);
    const peer = {
      raw: new Uint8Array(signed.cert.rawData),
      chain: chainPem.map((pem) => new Uint8Array(new X509Certificate(pem).raw)),
    };
    const reason = `not authenticated: client certificate: invalid SPIFFE ID "spiffe://${TD}/web": path must be exactly /ns/<namespace>/sa/<service-account>`;
    await expect(issuer.issue({ csrPem: await csrFor(WEB), peer })).rejects.toThrow(reason);
    expect(audit.events).toEqual([
      { type: 'auth.failed', method: 'certificate', reason, at: NOW.toISOString() },
    ]);
  });

  it('names every problem of an unusable CSR, separated by "; "', async () => {
    const { issuer, tokens, audit } = setup();
    const { token } = await tokens.create(WEB);
    const p521 = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-521' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    const der = Buffer.from(
      (await createCsr(p521, [{ type: 'url', value: WEB }])).replace(/-----[^-]+-----|\s/g, ''),
      'base64',
    );
    der[der.length - 1]! ^= 1;
    const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    const reason =
      'certificate signing request unusable: its signature does not verify with its own public key; key ECDSA P-521 is not ECDSA P-256/P-384 or RSA >= 2048';
    await expect(issuer.issue({ csrPem: pem, token })).rejects.toThrow(reason);
    expect(audit.events).toEqual([{ type: 'csr.invalid', reason, at: NOW.toISOString() }]);
  });

  it('renews by the configured policy, not the default', async () => {
    const { issuer, tokens } = setup(ca, { renewal: { fraction: 0.8, jitter: 0 } });
    const { token } = await tokens.create(WEB);
    const out = await issuer.issue({ csrPem: await csrFor(WEB), token });
    expect(out.renewAt.getTime()).toBe(NOW.getTime() + Math.round(24 * H * 0.8));
  });

  it('does not record a token store that fails as a failed authentication', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sy-issuer-'));
    try {
      const audit = new MemoryAuditSink();
      const tokens = new BootstrapTokens(new FileTokenStore(dir), TD, () => NOW);
      const issuer = new WorkloadIssuer({ authority: ca, tokens, audit });
      const { token } = await tokens.create(WEB);
      // The record on disk is damaged: the store fails, the caller has proven nothing wrong.
      await writeFile(join(dir, `${hashToken(token)}.json`), '{"identity":');
      await expect(issuer.issue({ csrPem: await csrFor(WEB), token })).rejects.toThrow(SyntaxError);
      expect(audit.events).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
