// The at-rest form of a model artifact in the Object Store: 12-byte nonce || AES-256-GCM
// ciphertext || 16-byte tag, under a random per-artifact data key. The data key itself is sealed
// with the KEK (kernel/crypto) and kept in the catalog record, so the Object Store alone never
// holds enough to read a model. Pods decrypt; the control plane only encrypts. docs/REGISTRY.md.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { ArtifactIntegrityError } from './errors.js';

const NONCE = 12;
const TAG = 16;
const KEY = 32;

export function artifactObjectName(name: string, version: string): string {
  return `${name}/${version}`;
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function checkKey(dataKey: Uint8Array): void {
  if (dataKey.length !== KEY)
    throw new ArtifactIntegrityError(`data key must be ${KEY} bytes, got ${dataKey.length}`);
}

export function encryptArtifact(plain: Uint8Array, dataKey: Uint8Array): Uint8Array {
  checkKey(dataKey);
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', dataKey, nonce, { authTagLength: TAG });
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return new Uint8Array(Buffer.concat([nonce, body, cipher.getAuthTag()]));
}

export function decryptArtifact(sealed: Uint8Array, dataKey: Uint8Array): Uint8Array {
  checkKey(dataKey);
  if (sealed.length < NONCE + TAG)
    throw new ArtifactIntegrityError(`${sealed.length} bytes is shorter than nonce and tag`);
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const decipher = createDecipheriv('aes-256-gcm', dataKey, buf.subarray(0, NONCE), { authTagLength: TAG });
  decipher.setAuthTag(buf.subarray(buf.length - TAG));
  try {
    const plain = Buffer.concat([decipher.update(buf.subarray(NONCE, buf.length - TAG)), decipher.final()]);
    return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
  } catch {
    throw new ArtifactIntegrityError('authentication failed (wrong data key, or the object was modified)');
  }
}

/** A fresh random AES-256 data key for one artifact. */
export function newDataKey(): Uint8Array {
  return new Uint8Array(randomBytes(KEY));
}

/** The KEK envelope label of an artifact's data key: binds the sealed key to its name and version. */
export function artifactKeyLabel(name: string, version: string): string {
  return `artifact:${name}:${version}`;
}
