// Deciding whether a TLS peer is who we want, by its SPIFFE ID (the Consul CVE-2021-32574 class:
// a chain that verifies proves only that *some* workload of the trust domain is talking). Pure:
// the caller has already verified the chain; this reads the SAN and compares it to an allow-list.
import { createHash } from 'node:crypto';
import { SpiffeIdError } from './errors.js';
import { parseSpiffeId, validateTrustDomain } from './spiffe.js';
import { OID, x509 } from './x509.js';

/** Exact IDs, plus prefixes ending in "/" that match whole path segments. */
export interface PeerAllowList {
  readonly exact: ReadonlySet<string>;
  readonly prefixes: readonly string[];
}

export type PeerDecision =
  | { readonly allowed: true; readonly identity: string }
  | { readonly allowed: false; readonly identity?: string; readonly reason: string };

/**
 * Entries are SPIFFE IDs (`spiffe://td/ns/a/sa/b`) or prefixes that end with "/"
 * (`spiffe://td/ns/default/`, `spiffe://td/`). A prefix never matches part of a segment:
 * `spiffe://td/ns/default/` does not admit `spiffe://td/ns/default-evil/sa/x`.
 */
export function compileAllowList(entries: readonly string[]): PeerAllowList {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const entry of entries) {
    if (entry.endsWith('/')) {
      const m = /^spiffe:\/\/([^/]+)\/(.*)$/.exec(entry);
      if (!m) throw new SpiffeIdError(entry, 'a prefix must look like spiffe://<trust-domain>/[path/]');
      validateTrustDomain(m[1]!);
      const path = m[2]!;
      if (
        path !== '' &&
        path
          .slice(0, -1)
          .split('/')
          .some((s) => s === '' || s === '.' || s === '..')
      )
        throw new SpiffeIdError(entry, 'prefix path has an empty or dot segment');
      prefixes.push(entry);
    } else {
      exact.add(parseSpiffeId(entry).uri);
    }
  }
  return { exact, prefixes };
}

export function allowListMatches(identity: string, allow: PeerAllowList): boolean {
  return allow.exact.has(identity) || allow.prefixes.some((p) => identity.startsWith(p));
}

/** Every SAN of a DER certificate as {type, value}; throws when the SAN cannot be decoded. */
export function subjectAltNames(der: Uint8Array): { type: string; value: string }[] {
  const cert = new x509.X509Certificate(der);
  return cert
    .getExtensions<x509.SubjectAlternativeNameExtension>(OID.subjectAltName)
    .flatMap((ext) =>
      new x509.SubjectAlternativeNameExtension(ext.rawData).names.items.map((n) => n.toJSON()),
    );
}

type IdResult = { ok: true; identity: string } | { ok: false; reason: string; identity?: string };

// Decoding a certificate with the ASN.1 library costs milliseconds; a gRPC server asks for every
// call and a client for every handshake, nearly always about the same few certificates. The
// answer is a pure function of the DER, so it is cached by the DER's SHA-256.
const CACHE_LIMIT = 1024;
const idCache = new Map<string, IdResult>();

function readSpiffeId(der: Uint8Array): IdResult {
  let names: { type: string; value: string }[];
  try {
    names = subjectAltNames(der);
  } catch {
    return { ok: false, reason: 'certificate or its subjectAltName cannot be decoded' };
  }
  const uris = names.filter((n) => n.type === 'url').map((n) => n.value);
  if (uris.length === 0) return { ok: false, reason: 'certificate has no URI SAN' };
  if (uris.length > 1)
    return { ok: false, reason: `certificate has ${uris.length} URI SANs; exactly one proves an identity` };
  try {
    return { ok: true, identity: parseSpiffeId(uris[0]!).uri };
  } catch (err) {
    return { ok: false, identity: uris[0], reason: (err as Error).message };
  }
}

/**
 * The SPIFFE ID a certificate proves: its one URI SAN, which must be a valid workload ID.
 * Several URI SANs prove nothing (a verifier that takes "any matching" SAN is the bug class).
 */
export function certificateSpiffeId(der: Uint8Array): IdResult {
  const key = createHash('sha256').update(der).digest('base64');
  let result = idCache.get(key);
  if (!result) {
    result = readSpiffeId(der);
    if (idCache.size >= CACHE_LIMIT) idCache.delete(idCache.keys().next().value!);
    idCache.set(key, result);
  }
  return result;
}

/**
 * Decides a peer: `cert` is what node's getPeerCertificate() returns (an empty object when the
 * peer sent none) or anything else with the DER in `raw`.
 */
export function decidePeer(
  cert: { raw?: Uint8Array } | null | undefined,
  allow: PeerAllowList,
): PeerDecision {
  if (!cert?.raw || cert.raw.length === 0) return { allowed: false, reason: 'peer presented no certificate' };
  const id = certificateSpiffeId(cert.raw);
  if (!id.ok) return { allowed: false, reason: id.reason, ...(id.identity ? { identity: id.identity } : {}) };
  if (!allowListMatches(id.identity, allow))
    return { allowed: false, identity: id.identity, reason: `${id.identity} is not on the allow-list` };
  return { allowed: true, identity: id.identity };
}
