// Verifying a presented certificate chain against the trust bundle ourselves, with node's
// X509Certificate: the CSR endpoint accepts connections without a client certificate (tokens),
// so it cannot leave the chain check to the TLS layer, and it checks against the bundle of this
// moment rather than the one the listener was configured with.
import { X509Certificate } from 'node:crypto';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const MAX_DEPTH = 5;

export interface ChainAnchors {
  /** Root certificates (DER) of the trust bundle. */
  readonly roots: readonly Uint8Array[];
  /** Intermediates the verifier knows, besides those the peer sent. */
  readonly intermediates?: readonly Uint8Array[];
}

export type ChainResult = { ok: true } | { ok: false; reason: string };

function validAt(c: X509Certificate, now: Date): string | undefined {
  if (now < new Date(c.validFrom))
    return `${c.subject.replace(/\n/g, ', ')} is not valid before ${c.validFrom}`;
  if (now > new Date(c.validTo)) return `${c.subject.replace(/\n/g, ', ')} expired at ${c.validTo}`;
  return undefined;
}

/**
 * Leaf (DER) -> issuers -> a root of `anchors`, each signature and validity period checked at
 * `now`, issuers must be CAs, the leaf must not be one and must allow `purpose`.
 */
export function verifyChain(
  leafDer: Uint8Array,
  presented: readonly Uint8Array[],
  anchors: ChainAnchors,
  now: Date,
  purpose: 'client' | 'server' = 'client',
): ChainResult {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(leafDer);
  } catch {
    return { ok: false, reason: 'certificate cannot be decoded' };
  }
  if (leaf.ca) return { ok: false, reason: 'a CA certificate cannot authenticate a workload' };
  const eku = leaf.keyUsage;
  if (eku && !eku.includes(purpose === 'client' ? CLIENT_AUTH : SERVER_AUTH))
    return { ok: false, reason: `certificate is not for ${purpose}Auth` };
  const roots = anchors.roots.map((d) => new X509Certificate(d));
  const pool = [...presented, ...(anchors.intermediates ?? [])].map((d) => new X509Certificate(d));
  let current = leaf;
  for (let depth = 0; depth <= MAX_DEPTH; depth++) {
    const invalid = validAt(current, now);
    if (invalid) return { ok: false, reason: invalid };
    const issuer = [...roots, ...pool].find(
      (c) => c.ca && !c.raw.equals(current.raw) && current.checkIssued(c) && current.verify(c.publicKey),
    );
    if (!issuer)
      return { ok: false, reason: `no trusted issuer for ${current.subject.replace(/\n/g, ', ')}` };
    if (roots.some((r) => r.raw.equals(issuer.raw))) {
      const rootInvalid = validAt(issuer, now);
      return rootInvalid ? { ok: false, reason: rootInvalid } : { ok: true };
    }
    current = issuer;
  }
  return { ok: false, reason: 'chain too long' };
}
