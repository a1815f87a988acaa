// Reading a PKCS#10 CSR into the facts csr-policy.ts judges, and making one (the agent's side).

import { type CryptoKeyPair, EC_P256, OID, x509 } from '../../../kernel/tls/index.js';
import { CsrInvalidError } from '../errors.js';
import type { CsrFacts } from './csr-policy.js';

const MAX_CSR_BYTES = 16 * 1024;

export interface ParsedCsr {
  readonly csr: x509.Pkcs10CertificateRequest;
  readonly facts: CsrFacts;
}

function readSans(
  csr: x509.Pkcs10CertificateRequest,
): Pick<CsrFacts, 'sanExtensionCount' | 'sans' | 'undecodableSan'> {
  const exts = csr.extensions.filter((e) => e.type === OID.subjectAltName);
  const sans: { type: string; value: string }[] = [];
  let undecodableSan = false;
  for (const ext of exts) {
    try {
      for (const n of new x509.SubjectAlternativeNameExtension(ext.rawData).names.items)
        sans.push(n.toJSON());
    } catch {
      // otherName, x400Address and ediPartyName are not decoded by the library: refuse, not skip.
      undecodableSan = true;
    }
  }
  return { sanExtensionCount: exts.length, sans, undecodableSan };
}

/** Parses and signature-checks a PEM CSR. Throws CsrInvalidError when it is not a CSR at all. */
export async function parseCsr(pem: string): Promise<ParsedCsr> {
  if (typeof pem !== 'string' || pem.length === 0) throw new CsrInvalidError('empty');
  if (pem.length > MAX_CSR_BYTES) throw new CsrInvalidError(`larger than ${MAX_CSR_BYTES} bytes`);
  if (!pem.includes('-----BEGIN CERTIFICATE REQUEST-----'))
    throw new CsrInvalidError('not a PEM "CERTIFICATE REQUEST" block');
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem);
  } catch (err) {
    throw new CsrInvalidError(`cannot be decoded (${(err as Error).message})`);
  }
  let signatureValid = false;
  try {
    signatureValid = await csr.verify();
  } catch {
    signatureValid = false;
  }
  const alg = csr.publicKey.algorithm as { name: string; namedCurve?: string; modulusLength?: number };
  const basic = csr.extensions.find((e) => e.type === OID.basicConstraints);
  let requestsCa = false;
  if (basic) {
    try {
      requestsCa = new x509.BasicConstraintsExtension(basic.rawData).ca;
    } catch {
      requestsCa = true;
    }
  }
  const facts: CsrFacts = {
    signatureValid,
    keyAlgorithm: {
      name: alg.name,
      ...(alg.namedCurve ? { namedCurve: alg.namedCurve } : {}),
      ...(alg.modulusLength ? { modulusLength: alg.modulusLength } : {}),
    },
    extensionRequestCount: csr.attributes.filter((a) => a.type === OID.extensionRequest).length,
    requestsCa,
    ...readSans(csr),
  };
  return { csr, facts };
}

/**
 * Makes a CSR asking for `uris` (normally exactly one, the caller's SPIFFE ID) and any extra
 * SANs; tests use the extras to play an attacker.
 */
export async function createCsr(
  keys: CryptoKeyPair,
  sans: readonly { type: 'url' | 'dns' | 'ip' | 'email'; value: string }[],
): Promise<string> {
  const req = await x509.Pkcs10CertificateRequestGenerator.create({
    keys,
    signingAlgorithm: EC_P256,
    name: 'O=Switchyard',
    extensions: sans.length ? [new x509.SubjectAlternativeNameExtension(sans.map((s) => ({ ...s })))] : [],
  });
  return req.toString('pem');
}
