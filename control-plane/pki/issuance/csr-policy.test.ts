import { describe, expect, it } from 'vitest';
import { type CsrFacts, csrRefusalReasons, csrUsabilityProblems } from './csr-policy.js';

const ME = 'spiffe://td/ns/default/sa/web';
const good: CsrFacts = {
  signatureValid: true,
  keyAlgorithm: { name: 'ECDSA', namedCurve: 'P-256' },
  extensionRequestCount: 1,
  sanExtensionCount: 1,
  sans: [{ type: 'url', value: ME }],
  undecodableSan: false,
  requestsCa: false,
};

describe('CSR policy', () => {
  it('accepts exactly one URI SAN equal to the proven identity', () => {
    expect(csrRefusalReasons(good, ME, 'td')).toEqual([]);
    expect(csrUsabilityProblems(good)).toEqual([]);
  });

  it('refuses a second URI SAN next to the right one (CVE-2022-40716 class)', () => {
    const r = csrRefusalReasons(
      { ...good, sans: [...good.sans, { type: 'url', value: 'spiffe://td/ns/default/sa/db' }] },
      ME,
      'td',
    );
    expect(r.join('\n')).toMatch(/exactly one SAN is allowed, found 2/);
    expect(r.join('\n')).toMatch(/sa\/db is not the proven identity/);
  });

  it('refuses a SAN that only starts with the proven identity (equality, not a prefix)', () => {
    for (const value of [`${ME}-admin`, `${ME}2`]) {
      expect(csrRefusalReasons({ ...good, sans: [{ type: 'url', value }] }, ME, 'td')).toEqual([
        `URI SAN ${value} is not the proven identity ${ME}`,
      ]);
    }
  });

  it('refuses a DNS or IP SAN smuggled beside the identity', () => {
    for (const extra of [
      { type: 'dns', value: 'payments.internal' },
      { type: 'ip', value: '10.0.0.1' },
    ]) {
      const r = csrRefusalReasons({ ...good, sans: [...good.sans, extra] }, ME, 'td');
      expect(r).toContain(
        `SAN ${extra.type}:${extra.value} is not allowed; only the URI SAN of the identity`,
      );
    }
  });

  it('refuses a foreign identity, another trust domain, no SAN, two SAN extensions and CA requests', () => {
    expect(
      csrRefusalReasons(
        { ...good, sans: [{ type: 'url', value: 'spiffe://td/ns/kube-system/sa/admin' }] },
        ME,
        'td',
      ),
    ).toEqual([
      'URI SAN spiffe://td/ns/kube-system/sa/admin is not the proven identity spiffe://td/ns/default/sa/web',
    ]);
    expect(
      csrRefusalReasons(
        { ...good, sans: [{ type: 'url', value: 'spiffe://other/ns/default/sa/web' }] },
        ME,
        'td',
      )[0],
    ).toMatch(/not a workload SPIFFE ID of trust domain td/);
    expect(csrRefusalReasons({ ...good, sans: [], sanExtensionCount: 0 }, ME, 'td')).toHaveLength(2);
    expect(csrRefusalReasons({ ...good, sanExtensionCount: 2 }, ME, 'td')).toEqual([
      'exactly one subjectAltName extension is required, found 2',
    ]);
    expect(csrRefusalReasons({ ...good, requestsCa: true }, ME, 'td')).toEqual([
      'it requests a CA certificate',
    ]);
    expect(csrRefusalReasons({ ...good, undecodableSan: true }, ME, 'td')[0]).toMatch(/cannot be read/);
  });

  it('finds a bad signature or a weak key unusable whoever asks', () => {
    expect(csrUsabilityProblems({ ...good, signatureValid: false })).toHaveLength(1);
    expect(
      csrUsabilityProblems({ ...good, keyAlgorithm: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024 } })[0],
    ).toMatch(/RSA >= 2048/);
    expect(
      csrUsabilityProblems({ ...good, keyAlgorithm: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048 } }),
    ).toEqual([]);
    expect(csrUsabilityProblems({ ...good, keyAlgorithm: { name: 'Ed25519' } })).toHaveLength(1);
  });

  it('accepts exactly ECDSA P-256/P-384 and RSA >= 2048 (PKCS#1 v1.5 or PSS), naming what it refuses', () => {
    const refusal = (keyAlgorithm: CsrFacts['keyAlgorithm']) =>
      csrUsabilityProblems({ ...good, keyAlgorithm });
    for (const ok of [
      { name: 'ECDSA', namedCurve: 'P-256' },
      { name: 'ECDSA', namedCurve: 'P-384' },
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048 },
      { name: 'RSA-PSS', modulusLength: 4096 },
    ])
      expect(refusal(ok)).toEqual([]);
    const tail = 'is not ECDSA P-256/P-384 or RSA >= 2048';
    expect(refusal({ name: 'ECDSA', namedCurve: 'P-521' })).toEqual([`key ECDSA P-521 ${tail}`]);
    expect(refusal({ name: 'ECDH', namedCurve: 'P-256' })).toEqual([`key ECDH P-256 ${tail}`]);
    expect(refusal({ name: 'ECDSA' })).toEqual([`key ECDSA ${tail}`]);
    expect(refusal({ name: 'RSA-OAEP', modulusLength: 4096 })).toEqual([`key RSA-OAEP 4096 ${tail}`]);
    expect(refusal({ name: 'RSA-PSS', modulusLength: 2047 })).toEqual([`key RSA-PSS 2047 ${tail}`]);
    expect(refusal({ name: 'RSA-PSS' })).toEqual([`key RSA-PSS ${tail}`]);
    expect(refusal({ name: 'Ed25519' })).toEqual([`key Ed25519 ${tail}`]);
    expect(csrUsabilityProblems({ ...good, signatureValid: false })).toEqual([
      'its signature does not verify with its own public key',
    ]);
  });

  it('names every SAN it found when there is not exactly one, and counts extensionRequests', () => {
    const two = [
      { type: 'url', value: ME },
      { type: 'dns', value: 'a.example' },
    ];
    expect(csrRefusalReasons({ ...good, sans: two }, ME, 'td')).toEqual([
      `exactly one SAN is allowed, found 2: url:${ME}, dns:a.example`,
      'SAN dns:a.example is not allowed; only the URI SAN of the identity',
    ]);
    expect(csrRefusalReasons({ ...good, sans: [] }, ME, 'td')).toEqual([
      'exactly one SAN is allowed, found 0',
    ]);
    expect(csrRefusalReasons({ ...good, extensionRequestCount: 2 }, ME, 'td')).toEqual([
      '2 extensionRequest attributes',
    ]);
  });
});
