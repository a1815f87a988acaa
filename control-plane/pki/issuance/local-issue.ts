// Issuing a certificate inside the CA's own process, with no CSR round trip: for the control
// plane's own serving identity, for `certs issue` (operators) and for tests. The key is made
// here and handed back only inside a redacting TlsMaterial.

import { generateKeyPair, parseSpiffeId, TlsMaterial, toPem, x509 } from '../../../kernel/tls/index.js';
import type { CertificateAuthority } from '../ca/authority.js';
import { exportPkcs8 } from '../ca/ca-certs.js';
import { DEFAULT_RENEWAL, DEFAULT_WORKLOAD_TTL_MS, renewAt } from './renewal.js';

export interface LocalIssued {
  readonly material: TlsMaterial;
  readonly identity: string;
  readonly serialNumber: string;
  readonly notAfter: Date;
  readonly renewAt: Date;
}

export async function issueLocally(
  authority: CertificateAuthority,
  identity: string,
  o: { ttlMs?: number; random?: () => number } = {},
): Promise<LocalIssued> {
  const id = parseSpiffeId(identity, authority.trustDomain).uri;
  const keys = await generateKeyPair(true);
  const issuedAt = authority.now();
  const publicKey = await x509.PublicKey.create(keys.publicKey);
  const signed = await authority.signLeaf(id, publicKey, o.ttlMs ?? DEFAULT_WORKLOAD_TTL_MS);
  const keyDer = await exportPkcs8(keys.privateKey);
  const material = new TlsMaterial(
    signed.certificateChainPem,
    toPem(keyDer, 'PRIVATE KEY'),
    authority.trustBundle().pem,
  );
  keyDer.fill(0);
  return {
    material,
    identity: id,
    serialNumber: signed.cert.serialNumber,
    notAfter: signed.cert.notAfter,
    renewAt: renewAt(issuedAt, signed.cert.notAfter, o.random, DEFAULT_RENEWAL),
  };
}
