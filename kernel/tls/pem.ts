// PEM text <-> DER bytes. Pure and dependency-free, so bundle building and peer checks can use it
// without loading the certificate library.

/** Splits a PEM text into its blocks of one label, as DER bytes, in order. */
export function pemBlocks(pem: string, label = 'CERTIFICATE'): Buffer[] {
  const re = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+?)-----END ${label}-----`, 'g');
  return [...pem.matchAll(re)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
}

/** DER to a canonical PEM block (64-column lines, trailing newline). */
export function toPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Re-encodes every certificate block canonically; other text between blocks is dropped. */
export function normalizeCertPem(pem: string): string {
  return pemBlocks(pem)
    .map((der) => toPem(der))
    .join('');
}
