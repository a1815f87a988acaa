import { describe, expect, it } from 'vitest';
import { KeyEncryptionKey, openKey, sealKey } from '../crypto/index.js';
import {
  ArtifactIntegrityError,
  artifactKeyLabel,
  artifactObjectName,
  decryptArtifact,
  encryptArtifact,
  newDataKey,
  sha256Digest,
} from './index.js';

const plain = new TextEncoder().encode('onnx bytes '.repeat(1000));

describe('artifact codec', () => {
  it('names objects and digests like the spec', () => {
    expect(artifactObjectName('fraud', '2')).toBe('fraud/2');
    expect(sha256Digest(new TextEncoder().encode('abc'))).toBe(
      'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('round-trips, and the sealed bytes are nonce || ciphertext || tag, not the plaintext', () => {
    const key = newDataKey();
    const sealed = encryptArtifact(plain, key);
    expect(sealed.length).toBe(plain.length + 12 + 16);
    expect(Buffer.from(sealed).includes(Buffer.from('onnx bytes'))).toBe(false);
    expect(Buffer.from(decryptArtifact(sealed, key)).equals(Buffer.from(plain))).toBe(true);
    // A fresh nonce each time: the same file never seals to the same bytes.
    expect(Buffer.from(encryptArtifact(plain, key)).equals(Buffer.from(sealed))).toBe(false);
  });

  it('refuses a flipped byte, a wrong key, a truncated object and a short key', () => {
    const key = newDataKey();
    const sealed = encryptArtifact(plain, key);
    for (const at of [0, 100, sealed.length - 1]) {
      const bad = Uint8Array.from(sealed);
      bad[at] ^= 1;
      expect(() => decryptArtifact(bad, key)).toThrow(ArtifactIntegrityError);
    }
    expect(() => decryptArtifact(sealed, newDataKey())).toThrow(/authentication failed/);
    expect(() => decryptArtifact(sealed.subarray(0, 20), key)).toThrow(ArtifactIntegrityError);
    expect(() => encryptArtifact(plain, new Uint8Array(16))).toThrow(/32 bytes/);
    try {
      decryptArtifact(sealed, newDataKey());
    } catch (e) {
      expect((e as ArtifactIntegrityError).code).toBe('SY_ARTIFACT_INTEGRITY');
    }
  });

  it('seals the data key with the KEK under a label bound to name and version', async () => {
    const kek = KeyEncryptionKey.fromKeyBytes(new Uint8Array(32).fill(7));
    const key = newDataKey();
    const sealedKey = await sealKey(key, kek, artifactKeyLabel('fraud', '2'));
    expect(Buffer.from(await openKey(sealedKey, kek, 'artifact:fraud:2')).equals(Buffer.from(key))).toBe(
      true,
    );
    await expect(openKey(sealedKey, kek, artifactKeyLabel('fraud', '3'))).rejects.toThrow(/labelled/);
  });
});
