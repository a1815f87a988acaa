// The key-encryption key (KEK) that seals CA private keys at rest. It comes from the environment
// (a passphrase, stretched with scrypt) or from a key file (random bytes, expanded with HKDF).
// Holders redact themselves in toString, JSON and util.inspect, so a stray log line or an error
// dump never carries key material.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Redacted } from '../tls/index.js';
import { KekError } from './errors.js';

export const KEK_ENV = 'SWITCHYARD_PKI_KEK';
export const KEK_FILE_ENV = 'SWITCHYARD_PKI_KEK_FILE';
const MIN_PASSPHRASE = 16;
const MIN_KEY_BYTES = 32;

export type KekKind = 'passphrase' | 'key-file';

export class KeyEncryptionKey extends Redacted {
  // A private field (not a property) so that spreading or Object.entries cannot reach it either.
  readonly #secret: Buffer;
  private constructor(
    readonly kind: KekKind,
    secret: Buffer,
    readonly source: string,
  ) {
    super();
    this.#secret = secret;
  }

  static fromPassphrase(passphrase: string, source = 'passphrase'): KeyEncryptionKey {
    if (passphrase.length < MIN_PASSPHRASE)
      throw new KekError(`${source}: a passphrase needs at least ${MIN_PASSPHRASE} characters`);
    return new KeyEncryptionKey('passphrase', Buffer.from(passphrase, 'utf8'), source);
  }

  static fromKeyBytes(bytes: Uint8Array, source = 'key bytes'): KeyEncryptionKey {
    if (bytes.length < MIN_KEY_BYTES)
      throw new KekError(`${source}: a key needs at least ${MIN_KEY_BYTES} bytes, got ${bytes.length}`);
    return new KeyEncryptionKey('key-file', Buffer.from(bytes), source);
  }

  /**
   * Fresh bytes for a key file. The last byte is never CR or LF: fromFile drops a trailing newline,
   * so a random key ending in one (2 draws in 256) would read back a byte short and be refused.
   */
  static newKeyFileBytes(): Buffer {
    const bytes = randomBytes(MIN_KEY_BYTES);
    while (isLineEnd(bytes[MIN_KEY_BYTES - 1]!)) bytes[MIN_KEY_BYTES - 1] = randomBytes(1)[0]!;
    return bytes;
  }

  /** Creates `path` (0600, never over an existing file) holding newKeyFileBytes(). */
  static createKeyFile(path: string): void {
    try {
      writeFileSync(path, KeyEncryptionKey.newKeyFileBytes(), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      throw new KekError(`cannot create key file ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
  }

  /** Reads a key file; a trailing newline (an editor's) is not part of the key. */
  static fromFile(path: string): KeyEncryptionKey {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (err) {
      throw new KekError(`cannot read key file ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
    let end = bytes.length;
    while (end > 0 && isLineEnd(bytes[end - 1]!)) end--;
    return KeyEncryptionKey.fromKeyBytes(bytes.subarray(0, end), path);
  }

  /** An explicit file wins, then $SWITCHYARD_PKI_KEK_FILE, then the $SWITCHYARD_PKI_KEK passphrase. */
  static fromEnvironment(env: NodeJS.ProcessEnv = process.env, file?: string): KeyEncryptionKey {
    if (file) return KeyEncryptionKey.fromFile(file);
    if (env[KEK_FILE_ENV]) return KeyEncryptionKey.fromFile(env[KEK_FILE_ENV]!);
    if (env[KEK_ENV]) return KeyEncryptionKey.fromPassphrase(env[KEK_ENV]!, `$${KEK_ENV}`);
    throw new KekError(
      `set $${KEK_FILE_ENV} (a file of >= ${MIN_KEY_BYTES} random bytes) or $${KEK_ENV} (a passphrase)`,
    );
  }

  /** The raw secret, for key-envelope.ts only (module-private by convention, not by language). */
  exposeForDerivation(): Buffer {
    return this.#secret;
  }
}

function isLineEnd(byte: number): boolean {
  return byte === 0x0a || byte === 0x0d;
}
