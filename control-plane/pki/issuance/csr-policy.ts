// The rules a CSR must meet before this CA signs it. Pure: it sees facts already read from the
// CSR (see csr.ts) and the identity the caller proved, and lists every violation. The CA then
// builds the certificate's SAN from the proven identity, never from the CSR, so a rule missed
// here still cannot put a foreign name in a certificate.
import { tryParseSpiffeId } from '../../../kernel/tls/index.js';

export interface CsrFacts {
  readonly signatureValid: boolean;
  /** WebCrypto-style algorithm of the public key, e.g. {name: 'ECDSA', namedCurve: 'P-256'}. */
  readonly keyAlgorithm: {
    readonly name: string;
    readonly namedCurve?: string;
    readonly modulusLength?: number;
  };
  /** Number of extensionRequest attributes (PKCS#9); more than one is ambiguous. */
  readonly extensionRequestCount: number;
  /** Number of subjectAltName extensions requested. */
  readonly sanExtensionCount: number;
  /** Every requested SAN, flattened; `undecodable` when a name type could not be read. */
  readonly sans: readonly { readonly type: string; readonly value: string }[];
  readonly undecodableSan: boolean;
  /** basicConstraints cA=true was requested. */
  readonly requestsCa: boolean;
}

/** Problems that make the CSR unusable whoever sends it (answered 400, not a refusal). */
export function csrUsabilityProblems(facts: CsrFacts): string[] {
  const problems: string[] = [];
  if (!facts.signatureValid) problems.push('its signature does not verify with its own public key');
  const k = facts.keyAlgorithm;
  const okEc = k.name === 'ECDSA' && (k.namedCurve === 'P-256' || k.namedCurve === 'P-384');
  const okRsa = (k.name === 'RSASSA-PKCS1-v1_5' || k.name === 'RSA-PSS') && (k.modulusLength ?? 0) >= 2048;
  if (!okEc && !okRsa)
    problems.push(
      `key ${k.name}${k.namedCurve ? ` ${k.namedCurve}` : ''}${k.modulusLength ? ` ${k.modulusLength}` : ''} is not ECDSA P-256/P-384 or RSA >= 2048`,
    );
  return problems;
}

/**
 * Reasons to refuse the CSR from a caller who proved `provenIdentity`: it must ask for exactly
 * one name, a URI SAN equal to that identity, and nothing that widens the certificate.
 */
export function csrRefusalReasons(facts: CsrFacts, provenIdentity: string, trustDomain: string): string[] {
  const reasons: string[] = [];
  if (facts.extensionRequestCount > 1)
    reasons.push(`${facts.extensionRequestCount} extensionRequest attributes`);
  if (facts.undecodableSan) reasons.push('a subjectAltName holds a name type that cannot be read');
  if (facts.sanExtensionCount !== 1)
    reasons.push(`exactly one subjectAltName extension is required, found ${facts.sanExtensionCount}`);
  if (facts.sans.length !== 1)
    reasons.push(
      `exactly one SAN is allowed, found ${facts.sans.length}${facts.sans.length ? `: ${facts.sans.map((s) => `${s.type}:${s.value}`).join(', ')}` : ''}`,
    );
  for (const san of facts.sans) {
    if (san.type !== 'url') {
      reasons.push(`SAN ${san.type}:${san.value} is not allowed; only the URI SAN of the identity`);
      continue;
    }
    const id = tryParseSpiffeId(san.value, trustDomain);
    if (!id) reasons.push(`URI SAN ${san.value} is not a workload SPIFFE ID of trust domain ${trustDomain}`);
    else if (id.uri !== provenIdentity)
      reasons.push(`URI SAN ${san.value} is not the proven identity ${provenIdentity}`);
  }
  if (facts.requestsCa) reasons.push('it requests a CA certificate');
  return reasons;
}
