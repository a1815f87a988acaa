// The one entry to @peculiar/x509. tsyringe (inside it) needs a Reflect polyfill evaluated before
// the library itself, and the library needs a WebCrypto provider: node:crypto's, so no native
// addon and no openssl subprocess. Every module (the PKI's too) imports x509 through here.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

// The project's lib has no DOM, so WebCrypto types come from node:crypto's namespace.
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
export type SignAlgorithm = webcrypto.Algorithm | webcrypto.EcdsaParams;
export type KeyImportAlgorithm = webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams;

export { x509 };
export const subtle = webcrypto.subtle;

/** ECDSA P-256 with SHA-256: the algorithm of every key this CA makes (see docs/SECURITY.md). */
export const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export const OID = {
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  nameConstraints: '2.5.29.30',
  extensionRequest: '1.2.840.113549.1.9.14',
} as const;

/** A fresh key pair; `extractable` only where the private key must be exported (to encrypt it). */
export async function generateKeyPair(extractable: boolean): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(EC_P256, extractable, ['sign', 'verify'])) as CryptoKeyPair;
}
