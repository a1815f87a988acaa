// Building the three kinds of certificate this CA makes: a self-signed root, an intermediate that
// signs workloads, and workload leaves (X.509-SVIDs). No I/O and no clock: callers pass `now`.
import { createPrivateKey, randomBytes } from 'node:crypto';
import {
  type CryptoKey,
  type CryptoKeyPair,
  EC_P256,
  type KeyImportAlgorithm,
  type SignAlgorithm,
  subtle,
  toPem,
  x509,
} from '../../../kernel/tls/index.js';
import { CaError } from '../errors.js';

const DAY = 86_400_000;
export const ROOT_TTL_MS = 10 * 365 * DAY;
export const INTERMEDIATE_TTL_MS = 365 * DAY;
/** Leaves start a little in the past so a peer whose clock runs behind accepts them at once. */
export const DEFAULT_BACKDATE_MS = 30_000;

const { KeyUsageFlags: KU, ExtendedKeyUsage: EKU } = x509;

/** 16 random bytes, top bit clear: a positive, unpredictable serial (CA/B Forum asks >= 64 bits). */
export function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString('hex');
}

function caName(kind: string, trustDomain: string, generation: string): string {
  return `CN=Switchyard ${kind} CA ${generation}, OU=${trustDomain}, O=Switchyard`;
}

export async function createRootCert(p: {
  keys: CryptoKeyPair;
  trustDomain: string;
  generation: string;
  now: Date;
  ttlMs?: number;
}): Promise<x509.X509Certificate> {
  const name = caName('Root', p.trustDomain, p.generation);
  return x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name,
    notBefore: p.now,
    notAfter: new Date(p.now.getTime() + (p.ttlMs ?? ROOT_TTL_MS)),
    keys: p.keys,
    signingAlgorithm: EC_P256,
    extensions: [
      // pathLen 1: the root may sign one level of intermediates, which sign only leaves.
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(KU.keyCertSign | KU.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(p.keys.publicKey),
    ],
  });
}

export async function createIntermediateCert(p: {
  publicKey: CryptoKey;
  root: x509.X509Certificate;
  rootKey: CryptoKey;
  trustDomain: string;
  generation: string;
  now: Date;
  ttlMs?: number;
}): Promise<x509.X509Certificate> {
  const notAfter = Math.min(p.now.getTime() + (p.ttlMs ?? INTERMEDIATE_TTL_MS), p.root.notAfter.getTime());
  return x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: caName('Intermediate', p.trustDomain, p.generation),
    issuer: p.root.subjectName,
    notBefore: p.now,
    notAfter: new Date(notAfter),
    publicKey: p.publicKey,
    signingKey: p.rootKey,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(KU.keyCertSign | KU.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(p.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(p.root.publicKey),
    ],
  });
}

/** Signature algorithm for a signer key: ECDSA keys sign with their curve's hash. */
export function signingAlgorithmFor(key: CryptoKey): SignAlgorithm {
  const alg = key.algorithm as { name: string; namedCurve?: string; hash?: { name: string } };
  if (alg.name === 'ECDSA')
    return { name: 'ECDSA', hash: alg.namedCurve === 'P-384' ? 'SHA-384' : 'SHA-256' };
  return { name: alg.name, hash: alg.hash?.name ?? 'SHA-256' } as SignAlgorithm;
}

export interface LeafParams {
  /** The proven SPIFFE ID: the one and only SAN of the result. */
  identity: string;
  /** The CSR's public key. */
  publicKey: x509.PublicKey;
  signer: x509.X509Certificate;
  signingKey: CryptoKey;
  now: Date;
  ttlMs: number;
  backdateMs?: number;
  /** The signer's AKI extension, when the caller keeps it (it is the same for every leaf). */
  authorityKeyId?: x509.AuthorityKeyIdentifierExtension;
}

/**
 * An X.509-SVID: SAN = one URI, CA:false, digitalSignature + keyEncipherment, serverAuth +
 * clientAuth, SKI and AKI. Never outlives its signer.
 */
export async function createLeafCert(p: LeafParams): Promise<x509.X509Certificate> {
  const notBefore = new Date(
    Math.max(p.now.getTime() - (p.backdateMs ?? DEFAULT_BACKDATE_MS), p.signer.notBefore.getTime()),
  );
  const notAfter = new Date(Math.min(p.now.getTime() + p.ttlMs, p.signer.notAfter.getTime()));
  // The CSR's SubjectPublicKeyInfo goes in as is: no WebCrypto import/export round trip.
  const publicKey = p.publicKey;
  return x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: 'O=Switchyard',
    issuer: p.signer.subjectName,
    notBefore,
    notAfter,
    publicKey,
    signingKey: p.signingKey,
    signingAlgorithm: signingAlgorithmFor(p.signingKey),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(KU.digitalSignature | KU.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([EKU.serverAuth, EKU.clientAuth], false),
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: p.identity }], false),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      p.authorityKeyId ?? (await x509.AuthorityKeyIdentifierExtension.create(p.signer.publicKey)),
    ],
  });
}

/** PKCS#8 DER of a private key (which must be extractable). */
export async function exportPkcs8(key: CryptoKey): Promise<Buffer> {
  return Buffer.from(await subtle.exportKey('pkcs8', key));
}

/** PKCS#8 PEM of a private key (which must be extractable): what key files and TLS options take. */
export async function exportKeyPem(key: CryptoKey): Promise<string> {
  const der = await exportPkcs8(key);
  try {
    return toPem(der, 'PRIVATE KEY');
  } finally {
    der.fill(0);
  }
}

/**
 * Imports a PKCS#8 signing key, non-extractable, so that nothing holding the CryptoKey can
 * export it again. The algorithm is read from the key itself (operator CAs may use P-384 or RSA).
 */
export async function importSigningKey(pkcs8: Uint8Array): Promise<CryptoKey> {
  const k = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  const t = k.asymmetricKeyType;
  const details = k.asymmetricKeyDetails ?? {};
  let alg: KeyImportAlgorithm;
  if (t === 'ec') {
    const curve =
      details.namedCurve === 'secp384r1'
        ? 'P-384'
        : details.namedCurve === 'prime256v1'
          ? 'P-256'
          : undefined;
    if (!curve) throw new CaError(`EC curve ${details.namedCurve} is not supported (P-256, P-384)`);
    alg = { name: 'ECDSA', namedCurve: curve };
  } else if (t === 'rsa') {
    alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  } else {
    throw new CaError(`key type ${t} is not supported (EC P-256/P-384 or RSA)`);
  }
  return subtle.importKey('pkcs8', pkcs8, alg, false, ['sign']);
}
