// The control plane's own certificate, issued in-process from its CA: renewed at renewAt
// (half-life with jitter), re-issued when a new generation is activated, and given the new
// trust bundle on every other CA change. Listeners (the xDS server's certificate provider, the
// admin HTTPS server's secure context) hear about each new material; connections already open
// keep their sessions, new handshakes get the new material.

import { InternalError } from '../../../kernel/errors/index.js';
import { MemoryCertificateProvider, type TlsMaterial } from '../../../kernel/tls/index.js';
import type { CertificateAuthority } from '../ca/authority.js';
import { issueLocally, type LocalIssued } from './local-issue.js';
import { retryDelayMs } from './renewal.js';

export interface ServingIdentityOptions {
  readonly identity: string;
  readonly ttlMs: number;
  /** Called when a renewal failed; the current certificate keeps serving and it retries. */
  readonly onError?: (err: unknown) => void;
}

export class ServingIdentity {
  /** grpc-js certificate provider (xDS, admin gRPC): updated with every new material. */
  readonly provider = new MemoryCertificateProvider();
  readonly #authority: CertificateAuthority;
  readonly #o: ServingIdentityOptions;
  readonly #listeners = new Set<(m: TlsMaterial) => void>();
  #current: LocalIssued | undefined;
  #timer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #closed = false;
  #unsubscribe: (() => void) | undefined;

  constructor(authority: CertificateAuthority, o: ServingIdentityOptions) {
    this.#authority = authority;
    this.#o = o;
  }

  /** Issues the first certificate and starts following renewals and CA changes. */
  async start(): Promise<void> {
    this.#set(await issueLocally(this.#authority, this.#o.identity, { ttlMs: this.#o.ttlMs }));
    this.#unsubscribe = this.#authority.onChange((change) => {
      if (change.reason === 'activated') void this.#reissue();
      else if (this.#current)
        this.#set({ ...this.#current, material: this.#current.material.withTrustBundle(change.bundle.pem) });
    });
  }

  get material(): TlsMaterial {
    if (!this.#current) throw new InternalError('ServingIdentity.start() has not run');
    return this.#current.material;
  }

  get serialNumber(): string | undefined {
    return this.#current?.serialNumber;
  }

  onUpdate(listener: (m: TlsMaterial) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#unsubscribe?.();
  }

  #set(issued: LocalIssued): void {
    this.#current = issued;
    this.provider.update(issued.material);
    for (const l of this.#listeners) l(issued.material);
    this.#schedule(Math.max(0, issued.renewAt.getTime() - this.#authority.now().getTime()));
  }

  async #reissue(): Promise<void> {
    if (this.#closed) return;
    try {
      const next = await issueLocally(this.#authority, this.#o.identity, { ttlMs: this.#o.ttlMs });
      if (this.#closed) return;
      this.#attempt = 0;
      this.#set(next);
    } catch (err) {
      this.#o.onError?.(err);
      const left = (this.#current?.notAfter.getTime() ?? 0) - this.#authority.now().getTime();
      this.#schedule(retryDelayMs(this.#attempt++, left));
    }
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    if (this.#closed) return;
    this.#timer = setTimeout(() => void this.#reissue(), Math.min(ms, 2 ** 31 - 1));
    this.#timer.unref();
  }
}
