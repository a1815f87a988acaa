// What never reaches a log line, whatever a caller passes: the value of any field named like a
// secret (at any depth), and any PEM private key block inside any string, the message included.
// Pure; the logger applies it to every record before pino sees it.

/** Fixed paths handed to pino's own `redact` as a second guard (it censors them after us). */
export const REDACT_PATHS = [
  'authorization',
  'token',
  'apiKey',
  'key',
  'privateKey',
  'password',
  'cookie',
  '*.authorization',
  '*.token',
  '*.apiKey',
  '*.key',
  '*.privateKey',
  '*.password',
  '*.cookie',
];

export const REDACTED = '[redacted]';

// Field names are compared without case or separators, by their ending: `x-api-key`,
// `bearerToken`, `set-cookie`, `tlsPrivateKey` all match; `tokenCount` does not.
const SECRET_ENDINGS = [
  'authorization',
  'token',
  'apikey',
  'key',
  'password',
  'passwd',
  'passphrase',
  'secret',
  'cookie',
  'credentials',
];

export function isSecretField(name: string): boolean {
  const n = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  return SECRET_ENDINGS.some((e) => n.endsWith(e));
}

const PRIVATE_KEY_PEM = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g;

/** The string with every PEM private key block (complete or cut off) replaced. */
export function scrubText(s: string): string {
  return s.includes('PRIVATE KEY-----') ? s.replace(PRIVATE_KEY_PEM, '[redacted private key]') : s;
}

const MAX_DEPTH = 8;

/** A copy of `value` safe to log: secrets censored, errors as plain objects, cycles cut. */
export function scrubValue(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(value);
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      type: value.name,
      message: scrubText(value.message),
      ...(code === undefined ? {} : { code }),
    };
  }
  // Holders of secrets (TLS material, key-encryption keys) print themselves redacted.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function')
    return scrubValue((value as { toJSON(): unknown }).toJSON(), depth + 1, seen);
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = isSecretField(k) ? REDACTED : scrubValue(v, depth + 1, seen);
  return out;
}

/** Fields of one record, scrubbed; undefined when there are none. */
export function scrubFields(
  fields: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  if (!fields) return undefined;
  return scrubValue(fields) as Record<string, unknown>;
}
