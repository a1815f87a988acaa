import { beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority, issueLocally, MemoryCaStore } from '../../control-plane/pki/index.js';
import {
  allowListMatches,
  compileAllowList,
  decidePeer,
  generateKeyPair,
  pemBlocks,
  SpiffeIdError,
  x509,
} from '../../kernel/tls/index.js';

describe('allow-lists', () => {
  it('matches exact IDs and whole-segment prefixes only', () => {
    const allow = compileAllowList(['spiffe://td/ns/default/', 'spiffe://td/ns/ops/sa/deployer']);
    expect(allowListMatches('spiffe://td/ns/default/sa/web', allow)).toBe(true);
    expect(allowListMatches('spiffe://td/ns/default-evil/sa/web', allow)).toBe(false);
    expect(allowListMatches('spiffe://td/ns/ops/sa/deployer', allow)).toBe(true);
    expect(allowListMatches('spiffe://td/ns/ops/sa/deployer2', allow)).toBe(false);
    expect(allowListMatches('spiffe://td2/ns/default/sa/web', allow)).toBe(false);
    expect(allowListMatches('spiffe://other/ns/default/sa/web', compileAllowList(['spiffe://td/']))).toBe(
      false,
    );
  });

  it('refuses malformed entries', () => {
    expect(() => compileAllowList(['spiffe://td/ns//'])).toThrow(SpiffeIdError);
    expect(() => compileAllowList(['https://td/'])).toThrow(SpiffeIdError);
    expect(() => compileAllowList(['spiffe://td/ns/a'])).toThrow(SpiffeIdError);
  });
});

describe('peer decisions', () => {
  let ca: CertificateAuthority;
  beforeAll(async () => {
    ca = await CertificateAuthority.create({ trustDomain: 'td', store: new MemoryCaStore() });
  });
  const leafOf = (pem: string) => ({ raw: pemBlocks(pem)[0]! });

  it('allows the one URI SAN on the list and names it', async () => {
    const web = await issueLocally(ca, 'spiffe://td/ns/default/sa/web');
    const allow = compileAllowList(['spiffe://td/ns/default/sa/web']);
    expect(decidePeer(leafOf(web.material.certificateChain), allow)).toEqual({
      allowed: true,
      identity: 'spiffe://td/ns/default/sa/web',
    });
    expect(
      decidePeer(leafOf(web.material.certificateChain), compileAllowList(['spiffe://td/ns/default/sa/db'])),
    ).toMatchObject({
      allowed: false,
      identity: 'spiffe://td/ns/default/sa/web',
    });
  });

  it('refuses no certificate, and a certificate with two URI SANs even if one matches (CVE-2021-32574 class)', async () => {
    const allow = compileAllowList(['spiffe://td/ns/default/sa/web']);
    expect(decidePeer({}, allow)).toEqual({ allowed: false, reason: 'peer presented no certificate' });
    expect(decidePeer(undefined, allow).allowed).toBe(false);
    const keys = await generateKeyPair(false);
    const twoSans = await x509.X509CertificateGenerator.createSelfSigned({
      keys,
      name: 'CN=x',
      extensions: [
        new x509.SubjectAlternativeNameExtension([
          { type: 'url', value: 'spiffe://td/ns/default/sa/web' },
          { type: 'url', value: 'spiffe://td/ns/default/sa/db' },
        ]),
      ],
    });
    const d = decidePeer({ raw: Buffer.from(twoSans.rawData) }, allow);
    expect(d).toEqual({
      allowed: false,
      reason: 'certificate has 2 URI SANs; exactly one proves an identity',
    });
  });
});
