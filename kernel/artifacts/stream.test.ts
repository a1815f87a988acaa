import { describe, expect, it } from 'vitest';
import {
  ArtifactIntegrityError,
  decryptArtifact,
  encryptArtifact,
  newDataKey,
  sha256Digest,
} from './index.js';
import { ArtifactDecryptor, encryptArtifactChunks, sealedLength } from './stream.js';

// Not a multiple of any piece size below, so every split lands somewhere new.
const plain = new Uint8Array(50_003).map((_, i) => (i * 31 + 7) % 251);

function pieces(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.slice(at, at + size));
  return out;
}

function open(sealedPieces: Uint8Array[], key: Uint8Array) {
  const got: Uint8Array[] = [];
  const dec = new ArtifactDecryptor(key, (p) => got.push(new Uint8Array(p)));
  for (const p of sealedPieces) dec.update(p);
  const end = dec.finish();
  return { ...end, plain: Buffer.concat(got) };
}

describe('artifact codec in chunks', () => {
  it('seals to the form decryptArtifact opens, nonce first and tag last', () => {
    const key = newDataKey();
    const parts = [...encryptArtifactChunks(plain, key, 16_384)];
    // nonce, four chunks (the last short), then final block and tag
    expect(parts.map((p) => p.length)).toEqual([12, 16_384, 16_384, 16_384, 851, 16]);
    const sealed = Buffer.concat(parts);
    expect(sealed.length).toBe(sealedLength(plain.length));
    expect(Buffer.from(decryptArtifact(sealed, key)).equals(Buffer.from(plain))).toBe(true);
  });

  it('opens what encryptArtifact sealed, fed in pieces of any size, with the plaintext digest', () => {
    const key = newDataKey();
    const sealed = encryptArtifact(plain, key);
    for (const size of [1, 5, 12, 16, 17, 28, 4096, 16_385, sealed.length]) {
      const got = open(pieces(sealed, size), key);
      expect(got.plain.equals(Buffer.from(plain)), `pieces of ${size}`).toBe(true);
      expect(got).toMatchObject({ sizeBytes: plain.length, digest: sha256Digest(plain) });
    }
  });

  it('refuses a flipped byte, a truncated object, a wrong key and a stub, at finish()', () => {
    const key = newDataKey();
    const sealed = encryptArtifact(plain, key);
    const flipped = new Uint8Array(sealed);
    flipped[5000] = flipped[5000]! ^ 1;
    const refusals = [
      () => open(pieces(flipped, 4096), key),
      () => open(pieces(sealed.subarray(0, sealed.length - 1), 4096), key),
      () => open(pieces(sealed, 4096), newDataKey()),
      () => open([sealed.subarray(0, 27)], key),
    ];
    for (const run of refusals) {
      expect(run).toThrow(ArtifactIntegrityError);
    }
    expect(() => open([sealed.subarray(0, 27)], key)).toThrow(/shorter than nonce and tag/);
    expect(() => open(pieces(flipped, 4096), key)).toThrow(/authentication failed/);
  });

  it('refuses a data key of the wrong length', () => {
    expect(() => new ArtifactDecryptor(new Uint8Array(16), () => undefined)).toThrow(/32 bytes/);
    expect(() => [...encryptArtifactChunks(plain, new Uint8Array(16), 1024)]).toThrow(/32 bytes/);
  });
});
