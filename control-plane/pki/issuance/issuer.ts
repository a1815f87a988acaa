// Workload certificate issuance: authenticate the caller (one-time token, or the certificate it
// holds), hold the CSR to exactly that identity, sign, and audit every outcome. The HTTP route
// (csr-routes.ts) and, later, an xDS-side SDS signer call issue(); neither repeats these checks.

import { certificateSpiffeId, pemBlocks } from '../../../kernel/tls/index.js';
import type { CertificateAuthority } from '../ca/authority.js';
import { verifyChain } from '../ca/chain.js';
import { CsrInvalidError, CsrRefusedError, UnauthenticatedError } from '../errors.js';
import type { AuditSink, AuthMethod, PkiAuditEvent } from './audit.js';
import { parseCsr } from './csr.js';
import { csrRefusalReasons, csrUsabilityProblems } from './csr-policy.js';
import { DEFAULT_RENEWAL, DEFAULT_WORKLOAD_TTL_MS, type RenewalPolicy, renewAt } from './renewal.js';
import type { BootstrapTokens } from './tokens.js';

export interface IssueRequest {
  readonly csrPem: string;
  readonly token?: string;
  /** The client certificate of the connection (DER) and the chain it sent, if any. */
  readonly peer?: { readonly raw: Uint8Array; readonly chain?: readonly Uint8Array[] };
  /** For the audit record only. */
  readonly remote?: string;
}

export interface IssuedCertificate {
  readonly identity: string;
  readonly serialNumber: string;
  /** Leaf first, then the issuing chain; PEM. */
  readonly certificateChain: string;
  /** Every trusted root; PEM. */
  readonly trustBundle: string;
  readonly trustBundleVersion: string;
  readonly notBefore: Date;
  readonly expiresAt: Date;
  readonly renewAt: Date;
}

export interface IssuerOptions {
  readonly authority: CertificateAuthority;
  readonly tokens: BootstrapTokens;
  readonly audit: AuditSink;
  /** Lifetime of workload certificates (default 24 h). */
  readonly ttlMs?: number;
  readonly renewal?: RenewalPolicy;
  readonly random?: () => number;
}

export class WorkloadIssuer {
  readonly ttlMs: number;
  constructor(private readonly o: IssuerOptions) {
    this.ttlMs = o.ttlMs ?? DEFAULT_WORKLOAD_TTL_MS;
  }

  private audit(event: PkiAuditEvent, remote: string | undefined): void {
    this.o.audit.record({
      ...event,
      at: this.o.authority.now().toISOString(),
      ...(remote ? { remote } : {}),
    });
  }

  /** The identity the caller proved. A token, when sent, is spent even if the CSR is then refused. */
  async authenticate(req: IssueRequest): Promise<{ identity: string; method: AuthMethod }> {
    const method: AuthMethod | 'none' =
      req.token !== undefined ? 'token' : req.peer?.raw.length ? 'certificate' : 'none';
    try {
      if (method === 'token') return { identity: await this.o.tokens.redeem(req.token!), method };
      if (method === 'certificate') return { identity: this.identityFromPeer(req.peer!), method };
      throw new UnauthenticatedError('send a bootstrap token or present a client certificate');
    } catch (err) {
      if (err instanceof UnauthenticatedError)
        this.audit({ type: 'auth.failed', method, reason: err.message }, req.remote);
      throw err;
    }
  }

  private identityFromPeer(peer: NonNullable<IssueRequest['peer']>): string {
    const ca = this.o.authority;
    const roots = pemBlocks(ca.trustBundle().pem);
    const chain = verifyChain(
      peer.raw,
      peer.chain ?? [],
      { roots, intermediates: ca.intermediates() },
      ca.now(),
    );
    if (!chain.ok) throw new UnauthenticatedError(`client certificate: ${chain.reason}`);
    const id = certificateSpiffeId(peer.raw);
    if (!id.ok) throw new UnauthenticatedError(`client certificate: ${id.reason}`);
    return id.identity;
  }

  async issue(req: IssueRequest): Promise<IssuedCertificate> {
    const ca = this.o.authority;
    let parsed: Awaited<ReturnType<typeof parseCsr>>;
    try {
      parsed = await parseCsr(req.csrPem);
      const problems = csrUsabilityProblems(parsed.facts);
      if (problems.length) throw new CsrInvalidError(problems.join('; '));
    } catch (err) {
      if (err instanceof CsrInvalidError)
        this.audit({ type: 'csr.invalid', reason: err.message }, req.remote);
      throw err;
    }
    const { identity, method } = await this.authenticate(req);
    const reasons = csrRefusalReasons(parsed.facts, identity, ca.trustDomain);
    if (reasons.length) {
      const requested = parsed.facts.sans.map((s) => `${s.type}:${s.value}`);
      this.audit({ type: 'csr.refused', identity, method, reasons, requested }, req.remote);
      throw new CsrRefusedError(identity, reasons);
    }
    const issuedAt = ca.now();
    const signed = await ca.signLeaf(identity, parsed.csr.publicKey, this.ttlMs);
    const bundle = ca.trustBundle();
    const result: IssuedCertificate = {
      identity,
      serialNumber: signed.cert.serialNumber,
      certificateChain: signed.certificateChainPem,
      trustBundle: bundle.pem,
      trustBundleVersion: bundle.version,
      notBefore: signed.cert.notBefore,
      expiresAt: signed.cert.notAfter,
      renewAt: renewAt(issuedAt, signed.cert.notAfter, this.o.random, this.o.renewal ?? DEFAULT_RENEWAL),
    };
    this.audit(
      {
        type: 'certificate.issued',
        identity,
        method,
        serialNumber: result.serialNumber,
        notAfter: result.expiresAt.toISOString(),
        generation: signed.generation,
      },
      req.remote,
    );
    return result;
  }
}
