// The artifact codec of codec.ts, a chunk at a time: the registry encrypts each chunk as the
// Object Store put asks for it, and a pod decrypts and hashes each chunk as it arrives, so
// neither waits for a whole-file pass before the next step starts, and neither keeps a second
// copy of a 100 MB model. Same at-rest form: nonce || AES-256-GCM ciphertext || tag.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  type DecipherGCM,
  type Hash,
  randomBytes,
} from 'node:crypto';
import { ArtifactIntegrityError } from './errors.js';

const NONCE = 12;
const TAG = 16;
const KEY = 32;

function checkKey(dataKey: Uint8Array): void {
  if (dataKey.length !== KEY)
    throw new ArtifactIntegrityError(`data key must be ${KEY} bytes, got ${dataKey.length}`);
}

const view = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/**
 * The sealed form of `plain`, `chunkBytes` of plaintext at a time: the nonce leads the first
 * piece and the tag follows the last. Each piece is encrypted only when asked for.
 */
export function* encryptArtifactChunks(
  plain: Uint8Array,
  dataKey: Uint8Array,
  chunkBytes: number,
): Generator<Uint8Array> {
  checkKey(dataKey);
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', dataKey, nonce, { authTagLength: TAG });
  yield view(nonce);
  for (let at = 0; at < plain.length; at += chunkBytes)
    yield view(cipher.update(plain.subarray(at, Math.min(plain.length, at + chunkBytes))));
  const last = cipher.final();
  yield view(Buffer.concat([last, cipher.getAuthTag()]));
}

/** The sealed length of a plaintext of `plainBytes`. */
export function sealedLength(plainBytes: number): number {
  return plainBytes + NONCE + TAG;
}

/**
 * Opens a sealed artifact fed in pieces of any size: the nonce is taken from the front, the
 * last 16 bytes are held back as the tag, and each piece's plaintext is handed on at once
 * together with its running SHA-256. Nothing handed on is trusted until finish() returns: only
 * then has the tag authenticated the whole and the digest been compared.
 */
export class ArtifactDecryptor {
  private decipher: DecipherGCM | undefined;
  private head = Buffer.alloc(0);
  /** The last TAG bytes seen so far (the tag once the input ends). */
  private tail = Buffer.alloc(0);
  private readonly hash: Hash = createHash('sha256');
  private plainBytes = 0;

  constructor(
    private readonly dataKey: Uint8Array,
    private readonly onPlain: (plain: Uint8Array) => void,
  ) {
    checkKey(dataKey);
  }

  update(piece: Uint8Array): void {
    let buf = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    if (!this.decipher) {
      this.head = Buffer.concat([this.head, buf]);
      if (this.head.length < NONCE) return;
      this.decipher = createDecipheriv('aes-256-gcm', this.dataKey, this.head.subarray(0, NONCE), {
        authTagLength: TAG,
      });
      buf = this.head.subarray(NONCE);
      this.head = Buffer.alloc(0);
    }
    if (this.tail.length + buf.length <= TAG) {
      this.tail = Buffer.concat([this.tail, buf]);
      return;
    }
    // The held-back tail is deciphered first, then all of the piece but its last TAG bytes: the
    // piece is not joined to the tail (a copy of every 512 KiB chunk, and garbage to collect).
    if (buf.length >= TAG) {
      this.emit(this.decipher.update(this.tail));
      this.emit(this.decipher.update(buf.subarray(0, buf.length - TAG)));
      // Copied: the caller may reuse its buffer, and the held-back bytes must survive it.
      this.tail = Buffer.from(buf.subarray(buf.length - TAG));
      return;
    }
    const joined = Buffer.concat([this.tail, buf]);
    this.tail = joined.subarray(joined.length - TAG);
    this.emit(this.decipher.update(joined.subarray(0, joined.length - TAG)));
  }

  /** Authenticates the whole; returns the plaintext's size and digest (`sha256:<hex>`). */
  finish(): { readonly sizeBytes: number; readonly digest: string } {
    if (!this.decipher || this.tail.length < TAG)
      throw new ArtifactIntegrityError('the object is shorter than nonce and tag');
    this.decipher.setAuthTag(this.tail);
    try {
      this.emit(this.decipher.final());
    } catch {
      throw new ArtifactIntegrityError('authentication failed (wrong data key, or the object was modified)');
    }
    return { sizeBytes: this.plainBytes, digest: `sha256:${this.hash.digest('hex')}` };
  }

  private emit(plain: Buffer): void {
    if (plain.length === 0) return;
    this.hash.update(plain);
    this.plainBytes += plain.length;
    this.onPlain(view(plain));
  }
}
