import { describe, expect, it } from 'vitest';
import { apiKeyMatches, generateApiKey, hashApiKey } from './api-keys.js';

describe('API keys', () => {
  it('are sy_ plus 24 random bytes in base64url, different every time', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a).toMatch(/^sy_[A-Za-z0-9_-]{32}$/);
    expect(Buffer.from(a.slice(3), 'base64url')).toHaveLength(24);
    expect(a).not.toBe(b);
  });

  it('are stored as sha256:<hex of the key>', () => {
    // Written out: `printf sy_abc | sha256sum`.
    expect(hashApiKey('sy_abc')).toBe(
      'sha256:1001ccab55d23b479b5b2d39e3ad5fa9ae69a3c8a8c06584f8b8911175a6b9d9',
    );
  });

  it('match only the key they were made from', () => {
    const key = generateApiKey();
    const stored = hashApiKey(key);
    expect(apiKeyMatches(key, stored)).toBe(true);
    expect(apiKeyMatches(`${key}x`, stored)).toBe(false);
    expect(apiKeyMatches(generateApiKey(), stored)).toBe(false);
    // A stored value of another length (truncated, another format) is refused, not thrown on.
    expect(apiKeyMatches(key, stored.slice(0, -1))).toBe(false);
    expect(apiKeyMatches(key, '')).toBe(false);
  });
});
