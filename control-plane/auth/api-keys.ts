// API keys: random, prefixed `sy_`, stored only as SHA-256 (they carry 192 bits of entropy, so a
// fast hash is safe; a slow one only matters for guessable secrets) and compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function generateApiKey(): string {
  return `sy_${randomBytes(24).toString('base64url')}`;
}

export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

export function apiKeyMatches(key: string, storedHash: string): boolean {
  const a = Buffer.from(hashApiKey(key));
  const b = Buffer.from(storedHash);
  return a.length === b.length && timingSafeEqual(a, b);
}
