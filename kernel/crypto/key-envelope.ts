// The at-rest format of a CA private key: a versioned JSON envelope, AES-256-GCM. The header
// (format, version, label, KDF and its parameters) is the GCM additional data, so changing any
// of it (a lower scrypt cost, another key's label) fails authentication like a flipped byte.
//
//   { "format": "switchyard-encrypted-key", "version": 1, "label": "root/<generation>",
//     "cipher": "aes-256-gcm", "kdf": { "name": "scrypt", "N": 32768, "r": 8, "p": 1, "salt": b64 }
//                                  | { "name": "hkdf-sha256", "salt": b64 },
//     "iv": b64(12 bytes), "ciphertext": b64, "tag": b64(16 bytes) }
import { createCipheriv, createDecipheriv, hkdf, randomBytes, scrypt } from 'node:crypto';
import { KeyDecryptError } from './errors.js';
import type { KeyEncryptionKey } from './kek.js';

export const ENVELOPE_FORMAT = 'switchyard-encrypted-key';
const HKDF_INFO = 'switchyard/pki/key-envelope/v1';
export const SCRYPT_DEFAULT = { N: 2 ** 15, r: 8, p: 1 } as const;
// Refuse envelopes that would make opening them a denial of service.
const SCRYPT_MAX = { N: 2 ** 20, r: 16, p: 4 } as const;

type Kdf =
  | { name: 'scrypt'; N: number; r: number; p: number; salt: string }
  | { name: 'hkdf-sha256'; salt: string };

export interface KeyEnvelope {
  format: typeof ENVELOPE_FORMAT;
  version: 1;
  label: string;
  cipher: 'aes-256-gcm';
  kdf: Kdf;
  iv: string;
  ciphertext: string;
  tag: string;
}

function deriveKey(kek: KeyEncryptionKey, kdf: Kdf): Promise<Buffer> {
  const salt = Buffer.from(kdf.salt, 'base64');
  const secret = kek.exposeForDerivation();
  return new Promise((resolve, reject) => {
    if (kdf.name === 'scrypt') {
      const maxmem = 256 * kdf.N * kdf.r + 1024 * 1024;
      scrypt(secret, salt, 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem }, (err, key) =>
        err ? reject(err) : resolve(key),
      );
    } else {
      hkdf('sha256', secret, salt, HKDF_INFO, 32, (err, key) =>
        err ? reject(err) : resolve(Buffer.from(key)),
      );
    }
  });
}

function aad(e: Pick<KeyEnvelope, 'format' | 'version' | 'label' | 'cipher' | 'kdf'>): Buffer {
  return Buffer.from(JSON.stringify([e.format, e.version, e.label, e.cipher, e.kdf]), 'utf8');
}

/** Seals `plaintext` (a PKCS#8 DER key) under the KEK; `label` names what it is, e.g. "root/g1". */
export async function sealKey(
  plaintext: Uint8Array,
  kek: KeyEncryptionKey,
  label: string,
  scryptParams: { N: number; r: number; p: number } = SCRYPT_DEFAULT,
): Promise<string> {
  const salt = randomBytes(16).toString('base64');
  const kdf: Kdf =
    kek.kind === 'passphrase' ? { name: 'scrypt', ...scryptParams, salt } : { name: 'hkdf-sha256', salt };
  const header = { format: ENVELOPE_FORMAT, version: 1, label, cipher: 'aes-256-gcm', kdf } as const;
  const key = await deriveKey(kek, kdf);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad(header));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  key.fill(0);
  const envelope: KeyEnvelope = {
    ...header,
    iv: iv.toString('base64'),
    ciphertext: ciphertext.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
  return `${JSON.stringify(envelope, null, 2)}\n`;
}

function parseEnvelope(text: string, label: string): KeyEnvelope {
  let e: KeyEnvelope;
  try {
    e = JSON.parse(text) as KeyEnvelope;
  } catch {
    throw new KeyDecryptError(label, 'not a JSON key envelope');
  }
  if (e?.format !== ENVELOPE_FORMAT) throw new KeyDecryptError(label, 'not a switchyard key envelope');
  if (e.version !== 1)
    throw new KeyDecryptError(label, `envelope version ${String(e.version)} is not supported`);
  if (e.cipher !== 'aes-256-gcm')
    throw new KeyDecryptError(label, `cipher ${String(e.cipher)} is not supported`);
  const k = e.kdf;
  if (k?.name === 'scrypt') {
    const ok =
      [k.N, k.r, k.p].every(Number.isInteger) &&
      k.N <= SCRYPT_MAX.N &&
      k.r <= SCRYPT_MAX.r &&
      k.p <= SCRYPT_MAX.p;
    if (!ok) throw new KeyDecryptError(label, 'scrypt parameters out of bounds');
  } else if (k?.name !== 'hkdf-sha256') {
    throw new KeyDecryptError(label, 'unknown key-derivation function');
  }
  return e;
}

/** Opens an envelope written by sealKey for the same `label`; any change or a wrong KEK throws. */
export async function openKey(text: string, kek: KeyEncryptionKey, label: string): Promise<Buffer> {
  const e = parseEnvelope(text, label);
  if (e.label !== label) throw new KeyDecryptError(label, `envelope is labelled ${JSON.stringify(e.label)}`);
  const needs = e.kdf.name === 'scrypt' ? 'passphrase' : 'key-file';
  if (kek.kind !== needs)
    throw new KeyDecryptError(label, `sealed with a ${needs} KEK, given a ${kek.kind} KEK`);
  const key = await deriveKey(kek, e.kdf);
  try {
    // authTagLength pins 16 bytes: node would otherwise accept a truncated (forgeable) tag.
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(e.iv, 'base64'), { authTagLength: 16 });
    decipher.setAAD(aad(e));
    decipher.setAuthTag(Buffer.from(e.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(e.ciphertext, 'base64')), decipher.final()]);
  } catch {
    throw new KeyDecryptError(
      label,
      'authentication failed (wrong key-encryption key, or the file was modified)',
    );
  } finally {
    key.fill(0);
  }
}

export function isKeyEnvelope(text: string): boolean {
  return text.trimStart().startsWith('{') && text.includes(ENVELOPE_FORMAT);
}
