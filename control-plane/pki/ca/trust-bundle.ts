// The trust bundle: the set of root certificates a peer accepts. During a rollover it holds the
// old and the new root together. Pure: the same roots in any order give the same PEM and version,
// so a version can key xDS resources (an SDS validation_context) and compare across replicas.
import { createHash, X509Certificate } from 'node:crypto';
import { pemBlocks, toPem } from '../../../kernel/tls/index.js';
import { CaError } from '../errors.js';

export interface BundleRoot {
  /** SHA-256 of the DER, lowercase hex: the name `dropRoot` takes. */
  readonly fingerprint: string;
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly pem: string;
}

export interface TrustBundle {
  /** Content hash (16 hex digits); changes exactly when the set of roots changes. */
  readonly version: string;
  /** Every root, canonical PEM, oldest first: what `ca` / `ca_certificate_file` take. */
  readonly pem: string;
  readonly roots: readonly BundleRoot[];
}

export function describeRoot(der: Uint8Array): BundleRoot {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch (err) {
    throw new CaError('trust bundle: a block is not an X.509 certificate', { cause: err });
  }
  const fingerprint = createHash('sha256').update(der).digest('hex');
  if (!cert.ca) throw new CaError(`trust bundle: ${cert.subject} (${fingerprint}) is not a CA certificate`);
  return {
    fingerprint,
    subject: cert.subject.replace(/\n/g, ', '),
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    pem: toPem(der),
  };
}

/** Builds the bundle from PEM texts (each may hold several certificates); duplicates collapse. */
export function buildTrustBundle(rootPems: readonly string[]): TrustBundle {
  const byFingerprint = new Map<string, BundleRoot>();
  for (const text of rootPems) {
    const blocks = pemBlocks(text);
    if (blocks.length === 0) throw new CaError('trust bundle: a root holds no PEM certificate');
    for (const der of blocks) {
      const root = describeRoot(der);
      byFingerprint.set(root.fingerprint, root);
    }
  }
  const roots = [...byFingerprint.values()].sort(
    (a, b) =>
      a.notBefore.getTime() - b.notBefore.getTime() ||
      (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0),
  );
  const hash = createHash('sha256');
  for (const r of roots) hash.update(r.fingerprint);
  return { version: hash.digest('hex').slice(0, 16), pem: roots.map((r) => r.pem).join(''), roots };
}
