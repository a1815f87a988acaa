// `switchyard certs agent`: keeps a workload's certificate files fresh. Its key is made here and
// never leaves the machine; the first certificate is bought with a bootstrap token, every later
// one with the current certificate (mTLS), at renewAt (half-life with jitter). Between renewals
// it polls the trust bundle so that a CA rollover reaches the files before new certs need it.
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  certificateSpiffeId,
  compileAllowList,
  controlPlaneId,
  generateKeyPair,
  MATERIAL_FILES,
  type PeerAllowList,
  parseSpiffeId,
  pemBlocks,
  TlsMaterial,
  toPem,
} from '../../../kernel/tls/index.js';
import { exportPkcs8 } from '../ca/ca-certs.js';
import { verifyChain } from '../ca/chain.js';
import { buildTrustBundle } from '../ca/trust-bundle.js';
import { UnauthenticatedError } from '../errors.js';
import { type ClientTls, getTrustBundle, postCsr } from '../http/csr-client.js';
import { createCsr } from '../issuance/csr.js';
import { renewAt, retryDelayMs } from '../issuance/renewal.js';
import { readMaterial, writeMaterial } from './agent-files.js';

export interface AgentOptions {
  readonly identity: string;
  readonly dir: string;
  /** https URL of the CSR endpoint (control plane admin, or `certs serve`). */
  readonly server: string;
  /** Read when a token is needed (first start, or after the certificate expired). */
  readonly token?: () => string | undefined;
  /** PEM roots to verify the server on first contact; later the bundle in `dir` is used. */
  readonly bootstrapTrust?: string;
  /** SPIFFE IDs (or prefixes) the server may present; default the control plane's ID. */
  readonly expectServer?: readonly string[];
  readonly bundleRefreshMs?: number;
  readonly random?: () => number;
  readonly log?: (line: string) => void;
}

export type AgentEvent =
  | { type: 'issued' | 'renewed'; serialNumber: string; expiresAt: Date; renewAt: Date }
  | { type: 'bundle'; version: string }
  | { type: 'error'; error: Error };

interface Current {
  material: TlsMaterial;
  serialNumber: string;
  expiresAt: Date;
  renewAt: Date;
  bundleVersion: string;
}

export class CertAgent {
  readonly identity: string;
  readonly #o: AgentOptions;
  readonly #expect: PeerAllowList;
  readonly #listeners = new Set<(e: AgentEvent) => void>();
  #current: Current | undefined;
  #renewTimer: NodeJS.Timeout | undefined;
  #bundleTimer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #stopped = false;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(o: AgentOptions) {
    const id = parseSpiffeId(o.identity);
    this.identity = id.uri;
    this.#o = o;
    this.#expect = compileAllowList(o.expectServer ?? [controlPlaneId(id.trustDomain)]);
  }

  onEvent(listener: (e: AgentEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  current(): Omit<Current, 'material'> | undefined {
    if (!this.#current) return undefined;
    const { material: _m, ...rest } = this.#current;
    return rest;
  }

  private emit(e: AgentEvent): void {
    for (const l of this.#listeners) l(e);
  }

  private log(line: string): void {
    this.#o.log?.(`certs agent ${this.identity}: ${line}`);
  }

  /** Makes sure `dir` holds a valid certificate (issuing one if not), then keeps it fresh. */
  async start(): Promise<void> {
    const existing = await this.loadValid();
    if (existing) {
      this.#current = existing;
      this.log(
        `using ${existing.serialNumber} from ${this.#o.dir}, renews at ${existing.renewAt.toISOString()}`,
      );
    } else {
      await this.serialize(() => this.obtain('issued'));
    }
    this.scheduleRenewal();
    const every = this.#o.bundleRefreshMs ?? 60_000;
    this.#bundleTimer = setInterval(() => {
      this.serialize(() => this.refreshBundle()).catch((err: Error) => {
        // The next tick tries again; a renewal brings the bundle too.
        this.log(`trust bundle refresh failed: ${err.message}`);
        this.emit({ type: 'error', error: err });
      });
    }, every);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#renewTimer);
    clearInterval(this.#bundleTimer);
  }

  /** Renews now (tests and `kill -HUP`-style triggers). */
  renewNow(): Promise<void> {
    return this.serialize(() => this.obtain('renewed'));
  }

  private async loadValid(): Promise<Current | undefined> {
    const m = await readMaterial(this.#o.dir);
    if (!m) return undefined;
    const leafDer = pemBlocks(m.certificateChain)[0];
    if (!leafDer) return undefined;
    const now = new Date();
    const chain = verifyChain(
      leafDer,
      pemBlocks(m.certificateChain).slice(1),
      { roots: pemBlocks(m.trustBundle) },
      now,
    );
    const id = certificateSpiffeId(leafDer);
    if (!chain.ok || !id.ok || id.identity !== this.identity) {
      this.log(
        `ignoring the certificate in ${this.#o.dir}: ${chain.ok ? (id.ok ? 'another identity' : id.reason) : chain.reason}`,
      );
      return undefined;
    }
    const leaf = new X509Certificate(leafDer);
    if (!leaf.checkPrivateKey(createPrivateKey(m.privateKey))) return undefined;
    const notBefore = new Date(leaf.validFrom);
    const expiresAt = new Date(leaf.validTo);
    return {
      material: m,
      serialNumber: leaf.serialNumber.toLowerCase(),
      expiresAt,
      renewAt: renewAt(notBefore, expiresAt, this.#o.random),
      bundleVersion: buildTrustBundle([m.trustBundle]).version,
    };
  }

  private trustForBootstrap(): string {
    if (this.#o.bootstrapTrust) return this.#o.bootstrapTrust;
    try {
      return readFileSync(join(this.#o.dir, MATERIAL_FILES.caCertificate), 'utf8');
    } catch {
      throw new UnauthenticatedError(
        'no trust bundle to verify the server on first contact (give --ca-file)',
      );
    }
  }

  private async obtain(kind: 'issued' | 'renewed'): Promise<void> {
    const keys = await generateKeyPair(true);
    const csr = await createCsr(keys, [{ type: 'url', value: this.identity }]);
    const cur = this.#current;
    const usable = cur && cur.expiresAt.getTime() > Date.now();
    let tls: ClientTls;
    let token: string | undefined;
    if (usable) {
      tls = { trustBundle: cur.material.trustBundle, material: cur.material, expectServer: this.#expect };
    } else {
      token = this.#o.token?.();
      if (!token) throw new UnauthenticatedError('no valid certificate and no bootstrap token');
      tls = {
        trustBundle: cur?.material.trustBundle ?? this.trustForBootstrap(),
        expectServer: this.#expect,
      };
    }
    const res = await postCsr(this.#o.server, { csr, ...(token ? { token } : {}) }, tls);
    // Trust, but check: the certificate must be ours (our key, our identity) before we serve with it.
    const leafDer = pemBlocks(res.certificateChain)[0];
    if (!leafDer) throw new UnauthenticatedError('the server answered without a certificate');
    const leaf = new X509Certificate(leafDer);
    const keyDer = await exportPkcs8(keys.privateKey);
    const ourPublic = createPublicKey(createPrivateKey({ key: keyDer, format: 'der', type: 'pkcs8' }));
    const id = certificateSpiffeId(leafDer);
    if (!leaf.publicKey.equals(ourPublic) || !id.ok || id.identity !== this.identity)
      throw new UnauthenticatedError('the server returned a certificate for another key or identity');
    const material = new TlsMaterial(res.certificateChain, toPem(keyDer, 'PRIVATE KEY'), res.trustBundle);
    keyDer.fill(0);
    await writeMaterial(this.#o.dir, material);
    this.#current = {
      material,
      serialNumber: res.serialNumber,
      expiresAt: new Date(res.expiresAt),
      renewAt: new Date(res.renewAt),
      bundleVersion: res.trustBundleVersion,
    };
    this.#attempt = 0;
    this.log(`${kind} ${res.serialNumber}, expires ${res.expiresAt}, renews at ${res.renewAt}`);
    this.emit({
      type: kind,
      serialNumber: res.serialNumber,
      expiresAt: this.#current.expiresAt,
      renewAt: this.#current.renewAt,
    });
  }

  private async refreshBundle(): Promise<void> {
    const cur = this.#current;
    if (!cur || this.#stopped) return;
    const b = await getTrustBundle(this.#o.server, {
      trustBundle: cur.material.trustBundle,
      material: cur.material,
      expectServer: this.#expect,
    });
    if (b.version === cur.bundleVersion) return;
    const version = buildTrustBundle([b.trustBundle]).version;
    cur.material = cur.material.withTrustBundle(b.trustBundle);
    cur.bundleVersion = version;
    await writeMaterial(this.#o.dir, cur.material);
    this.log(`trust bundle now ${version}`);
    this.emit({ type: 'bundle', version });
  }

  private scheduleRenewal(delayMs?: number): void {
    if (this.#stopped || !this.#current) return;
    clearTimeout(this.#renewTimer);
    const wait = delayMs ?? Math.max(0, this.#current.renewAt.getTime() - Date.now());
    this.#renewTimer = setTimeout(
      () => {
        this.serialize(() => this.obtain('renewed')).then(
          () => this.scheduleRenewal(),
          (err: Error) => {
            this.emit({ type: 'error', error: err });
            const left = (this.#current?.expiresAt.getTime() ?? 0) - Date.now();
            const delay = retryDelayMs(this.#attempt++, left);
            this.log(`renewal failed (${err.message}); retrying in ${delay} ms`);
            this.scheduleRenewal(delay);
          },
        );
      },
      Math.min(wait, 2 ** 31 - 1),
    );
  }

  private serialize<T>(step: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(step, step);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
