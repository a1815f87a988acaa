// Resource versions are content hashes that two replicas, a restart and every Node version must
// agree on (docs/XDS.md, rule 4): the first 16 hex digits of SHA-256 of the encoded bytes.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { contentHash } from './snapshot.js';

describe('contentHash', () => {
  it('is the first 16 hex digits of SHA-256, of bytes and of strings alike', () => {
    // FIPS 180-2's test vector for "abc".
    expect(contentHash('abc')).toBe('ba7816bf8f01cfea');
    expect(contentHash(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea');
    expect(contentHash(new Uint8Array(0))).toBe('e3b0c44298fc1c14');
    for (const n of [1, 55, 56, 64, 1_000, 100_000]) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff);
      expect(contentHash(bytes)).toBe(createHash('sha256').update(bytes).digest('hex').slice(0, 16));
    }
  });

  it('reads only the view it is given, not the rest of its buffer', () => {
    const buffer = new Uint8Array([9, 9, 0x61, 0x62, 0x63, 9]);
    expect(contentHash(buffer.subarray(2, 5))).toBe('ba7816bf8f01cfea');
  });
});
