// One CA generation: a root, the certificate that signs workloads (a built-in intermediate, or
// an operator's issuing certificate) and its private key. Rotation adds a generation; the trust
// bundle is the union of the roots of the generations still kept.
import { randomBytes } from 'node:crypto';
import {
  type CryptoKey,
  generateKeyPair,
  normalizeCertPem,
  pemBlocks,
  Redacted,
  subtle,
  toPem,
  x509,
} from '../../../kernel/tls/index.js';
import { CaError } from '../errors.js';
import {
  createIntermediateCert,
  createLeafCert,
  createRootCert,
  exportPkcs8,
  importSigningKey,
  signingAlgorithmFor,
} from './ca-certs.js';

export type GenerationSource = 'built-in' | 'operator';

/** The public half of a generation, as persisted and shown to operators. */
export interface GenerationRecord {
  readonly id: string;
  readonly source: GenerationSource;
  readonly createdAt: string;
  readonly rootPem: string;
  /** Issuing certificate first, then any intermediates above it; never the root. */
  readonly chainPem: string;
}

/** Keys of a freshly made built-in generation, PKCS#8 DER, to be sealed by the caller then wiped. */
export interface NewGenerationSecrets {
  readonly rootKey: Buffer;
  readonly intermediateKey: Buffer;
}

export function newGenerationId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `g${stamp}-${randomBytes(3).toString('hex')}`;
}

export class CaGeneration extends Redacted {
  readonly #signingKey: CryptoKey;
  readonly signer: x509.X509Certificate;
  private constructor(
    readonly record: GenerationRecord,
    signingKey: CryptoKey,
  ) {
    super();
    this.#signingKey = signingKey;
    const first = pemBlocks(record.chainPem)[0] ?? pemBlocks(record.rootPem)[0];
    if (!first) throw new CaError(`generation ${record.id}: no issuing certificate`);
    this.signer = new x509.X509Certificate(first);
  }

  get id(): string {
    return this.record.id;
  }

  /** A new root and intermediate, keys made here. The root key is returned only to be sealed. */
  static async create(p: {
    trustDomain: string;
    now: Date;
    id?: string;
    rootTtlMs?: number;
    intermediateTtlMs?: number;
  }): Promise<{ generation: CaGeneration; secrets: NewGenerationSecrets }> {
    const id = p.id ?? newGenerationId(p.now);
    const rootKeys = await generateKeyPair(true);
    const intKeys = await generateKeyPair(true);
    const root = await createRootCert({
      keys: rootKeys,
      trustDomain: p.trustDomain,
      generation: id,
      now: p.now,
      ...(p.rootTtlMs ? { ttlMs: p.rootTtlMs } : {}),
    });
    const intermediate = await createIntermediateCert({
      publicKey: intKeys.publicKey,
      root,
      rootKey: rootKeys.privateKey,
      trustDomain: p.trustDomain,
      generation: id,
      now: p.now,
      ...(p.intermediateTtlMs ? { ttlMs: p.intermediateTtlMs } : {}),
    });
    const secrets = {
      rootKey: await exportPkcs8(rootKeys.privateKey),
      intermediateKey: await exportPkcs8(intKeys.privateKey),
    };
    const record: GenerationRecord = {
      id,
      source: 'built-in',
      createdAt: p.now.toISOString(),
      rootPem: toPem(new Uint8Array(root.rawData)),
      chainPem: toPem(new Uint8Array(intermediate.rawData)),
    };
    return { generation: await CaGeneration.fromRecord(record, secrets.intermediateKey), secrets };
  }

  /** Rebuilds a generation from its record and the (decrypted) PKCS#8 key of its issuing cert. */
  static async fromRecord(record: GenerationRecord, signingKeyPkcs8: Uint8Array): Promise<CaGeneration> {
    let key: CryptoKey;
    try {
      key = await importSigningKey(signingKeyPkcs8);
    } catch (err) {
      throw new CaError(`generation ${record.id}: signing key unusable: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const g = new CaGeneration(record, key);
    await g.assertConsistent();
    return g;
  }

  /**
   * An operator's CA: `chainPem` runs from the issuing certificate up to a self-signed root
   * (one certificate when the root signs workloads itself); `keyPkcs8` is the issuing key.
   */
  static async fromOperator(
    chainPem: string,
    keyPkcs8: Uint8Array,
    id: string,
    now: Date,
  ): Promise<CaGeneration> {
    const blocks = pemBlocks(chainPem);
    if (blocks.length === 0) throw new CaError('operator CA: the chain file holds no certificate');
    const certs = blocks.map((b) => new x509.X509Certificate(b));
    const root = certs[certs.length - 1]!;
    if (!(await root.isSelfSigned()))
      throw new CaError('operator CA: the chain must end with its self-signed root');
    const record: GenerationRecord = {
      id,
      source: 'operator',
      createdAt: now.toISOString(),
      rootPem: toPem(blocks[blocks.length - 1]!),
      chainPem: blocks
        .slice(0, -1)
        .map((b) => toPem(b))
        .join(''),
    };
    return CaGeneration.fromRecord(record, keyPkcs8);
  }

  /** Checks that each certificate is signed by the next, all are CAs, and the key fits. */
  private async assertConsistent(): Promise<void> {
    const chain = [...pemBlocks(this.record.chainPem), ...pemBlocks(this.record.rootPem)].map(
      (b) => new x509.X509Certificate(b),
    );
    for (let i = 0; i < chain.length; i++) {
      const cert = chain[i]!;
      const basic = cert.getExtension(x509.BasicConstraintsExtension);
      if (!basic?.ca) throw new CaError(`generation ${this.id}: ${cert.subject} is not a CA certificate`);
      const issuer = chain[i + 1] ?? cert;
      if (!(await cert.verify({ publicKey: issuer.publicKey, signatureOnly: true })))
        throw new CaError(`generation ${this.id}: ${cert.subject} is not signed by ${issuer.subject}`);
    }
    const probe = randomBytes(32);
    const alg = signingAlgorithmFor(this.#signingKey);
    const sig = await subtle.sign(alg, this.#signingKey, probe);
    const pub = await this.signer.publicKey.export();
    if (!(await subtle.verify(alg, pub, sig, probe)))
      throw new CaError(`generation ${this.id}: the private key does not match ${this.signer.subject}`);
  }

  /** Signs a workload certificate for `identity`; chain = leaf + issuing chain, PEM. */
  #aki: Promise<x509.AuthorityKeyIdentifierExtension> | undefined;

  async issue(
    identity: string,
    publicKey: x509.PublicKey,
    now: Date,
    ttlMs: number,
  ): Promise<{ cert: x509.X509Certificate; chainPem: string }> {
    this.#aki ??= x509.AuthorityKeyIdentifierExtension.create(this.signer.publicKey);
    const cert = await createLeafCert({
      authorityKeyId: await this.#aki,
      identity,
      publicKey,
      signer: this.signer,
      signingKey: this.#signingKey,
      now,
      ttlMs,
    });
    return { cert, chainPem: `${cert.toString('pem')}\n${normalizeCertPem(this.record.chainPem)}` };
  }
}
