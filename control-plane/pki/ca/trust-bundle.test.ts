import { describe, expect, it } from 'vitest';
import { pemBlocks } from '../../../kernel/tls/index.js';
import { CaError } from '../errors.js';
import { issueLocally } from '../issuance/local-issue.js';
import { CertificateAuthority, MemoryCaStore } from './authority.js';
import { CaGeneration } from './generation.js';
import { buildTrustBundle } from './trust-bundle.js';

const now = new Date();
const make = async () => (await CaGeneration.create({ trustDomain: 'td', now })).generation.record;

describe('trust bundle', () => {
  it('is the same PEM and version whatever the order, and changes with the set of roots', async () => {
    const [a, b] = [await make(), await make()];
    const ab = buildTrustBundle([a.rootPem, b.rootPem]);
    const ba = buildTrustBundle([b.rootPem, a.rootPem, a.rootPem]);
    expect(ab.pem).toBe(ba.pem);
    expect(ab.version).toBe(ba.version);
    expect(ab.roots).toHaveLength(2);
    expect(pemBlocks(ab.pem)).toHaveLength(2);
    expect(buildTrustBundle([a.rootPem]).version).not.toBe(ab.version);
    expect(ab.roots[0]!.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses text without certificates, and workload (non-CA) certificates', async () => {
    expect(() => buildTrustBundle(['no pem here'])).toThrow(CaError);
    const ca = await CertificateAuthority.create({ trustDomain: 'td', store: new MemoryCaStore() });
    const leaf = await issueLocally(ca, 'spiffe://td/ns/a/sa/b');
    expect(() => buildTrustBundle([leaf.material.certificateChain])).toThrow(/is not a CA certificate/);
  });
});
