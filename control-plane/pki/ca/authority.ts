// The certificate authority: an ordered set of generations, exactly one active (it signs), at
// most one prepared (its root is already trusted, it does not sign yet), and retired ones whose
// roots stay in the trust bundle until an operator drops them. Every change notifies listeners
// (the xDS server pushes the bundle to its streams) and is persisted through a CaStore.

import { pemBlocks, Redacted, validateTrustDomain, type x509 } from '../../../kernel/tls/index.js';
import { CaError } from '../errors.js';
import { CaGeneration, type GenerationRecord, type NewGenerationSecrets } from './generation.js';
import { buildTrustBundle, type TrustBundle } from './trust-bundle.js';

export type GenerationState = 'active' | 'prepared' | 'retired';

export interface CaChange {
  readonly reason: 'prepared' | 'activated' | 'dropped';
  readonly bundle: TrustBundle;
  readonly activeGeneration: string;
}

export type CaChangeListener = (change: CaChange) => void;

export interface PersistedGeneration extends GenerationRecord {
  readonly state: GenerationState;
}

/** Where a CA keeps its state; FileCaStore seals keys, MemoryCaStore keeps nothing. */
export interface CaStore {
  /** Called once per new generation with its keys (PKCS#8 DER), before it is used. */
  addGeneration(
    record: GenerationRecord,
    secrets: NewGenerationSecrets | { signingKey: Buffer },
  ): Promise<void>;
  /** Called after every change with the full list; the store drops keys of generations gone. */
  saveState(trustDomain: string, generations: readonly PersistedGeneration[]): Promise<void>;
}

export interface AuthorityOptions {
  readonly trustDomain: string;
  readonly store: CaStore;
  readonly now?: () => Date;
  readonly rootTtlMs?: number;
  readonly intermediateTtlMs?: number;
}

export interface SignedLeaf {
  readonly cert: x509.X509Certificate;
  readonly certificateChainPem: string;
  readonly generation: string;
}

interface Entry {
  generation: CaGeneration;
  state: GenerationState;
}

export class CertificateAuthority extends Redacted {
  readonly trustDomain: string;
  readonly #store: CaStore;
  readonly #now: () => Date;
  readonly #entries: Entry[];
  readonly #listeners = new Set<CaChangeListener>();
  #bundle: TrustBundle;
  // Rotation steps run one at a time; issuance never waits on them.
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly opts: AuthorityOptions,
    entries: Entry[],
  ) {
    super();
    this.trustDomain = validateTrustDomain(opts.trustDomain);
    this.#store = opts.store;
    this.#now = opts.now ?? (() => new Date());
    this.#entries = entries;
    this.#bundle = this.computeBundle();
    if (entries.filter((e) => e.state === 'active').length !== 1)
      throw new CaError('a CA needs exactly one active generation');
  }

  /** A brand-new CA with one built-in generation. */
  static async create(opts: AuthorityOptions): Promise<CertificateAuthority> {
    validateTrustDomain(opts.trustDomain);
    const gen = await CertificateAuthority.makeGeneration(opts, (opts.now ?? (() => new Date()))());
    const ca = new CertificateAuthority(opts, [{ generation: gen, state: 'active' }]);
    await ca.persist();
    return ca;
  }

  /** A CA over existing generations (loaded from a store, or an operator's CA). */
  static async fromGenerations(
    opts: AuthorityOptions,
    generations: readonly { generation: CaGeneration; state: GenerationState }[],
  ): Promise<CertificateAuthority> {
    return new CertificateAuthority(
      opts,
      generations.map((g) => ({ ...g })),
    );
  }

  private static async makeGeneration(opts: AuthorityOptions, now: Date): Promise<CaGeneration> {
    const { generation, secrets } = await CaGeneration.create({
      trustDomain: opts.trustDomain,
      now,
      ...(opts.rootTtlMs ? { rootTtlMs: opts.rootTtlMs } : {}),
      ...(opts.intermediateTtlMs ? { intermediateTtlMs: opts.intermediateTtlMs } : {}),
    });
    try {
      await opts.store.addGeneration(generation.record, secrets);
    } finally {
      secrets.rootKey.fill(0);
      secrets.intermediateKey.fill(0);
    }
    return generation;
  }

  now(): Date {
    return this.#now();
  }

  trustBundle(): TrustBundle {
    return this.#bundle;
  }

  generations(): readonly { id: string; state: GenerationState; record: GenerationRecord }[] {
    return this.#entries.map((e) => ({ id: e.generation.id, state: e.state, record: e.generation.record }));
  }

  generationById(id: string): CaGeneration | undefined {
    return this.#entries.find((e) => e.generation.id === id)?.generation;
  }

  activeGeneration(): CaGeneration {
    return this.#entries.find((e) => e.state === 'active')!.generation;
  }

  /** Issuing and intermediate certificates of every kept generation (DER), for chain building. */
  intermediates(): Buffer[] {
    return this.#entries.flatMap((e) => pemBlocks(e.generation.record.chainPem));
  }

  /** Subscribes to bundle and signer changes; returns the unsubscribe function. */
  onChange(listener: CaChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Signs a workload certificate with the active generation. Identity checks happen before. */
  async signLeaf(identity: string, publicKey: x509.PublicKey, ttlMs: number): Promise<SignedLeaf> {
    const gen = this.activeGeneration();
    const { cert, chainPem } = await gen.issue(identity, publicKey, this.#now(), ttlMs);
    return { cert, certificateChainPem: chainPem, generation: gen.id };
  }

  /**
   * Step 1 of a rollover: add a generation (a new built-in one, or `next`) whose root joins the
   * bundle now but which does not sign yet, so every peer trusts it before any cert uses it.
   */
  prepareRotation(next?: CaGeneration, signingKey?: Buffer): Promise<string> {
    return this.serialize(async () => {
      if (this.#entries.some((e) => e.state === 'prepared'))
        throw new CaError('a prepared generation exists already: activate it or drop it first');
      let gen: CaGeneration;
      if (next) {
        if (!signingKey) throw new CaError('an external generation needs its signing key to be stored');
        await this.#store.addGeneration(next.record, { signingKey });
        gen = next;
      } else {
        gen = await CertificateAuthority.makeGeneration(this.opts, this.#now());
      }
      this.#entries.push({ generation: gen, state: 'prepared' });
      await this.changed('prepared');
      return gen.id;
    });
  }

  /** Step 2: the prepared generation signs from now on; the old active one is retired. */
  activatePrepared(): Promise<string> {
    return this.serialize(async () => {
      const prepared = this.#entries.find((e) => e.state === 'prepared');
      if (!prepared) throw new CaError('no prepared generation to activate');
      for (const e of this.#entries) if (e.state === 'active') e.state = 'retired';
      prepared.state = 'active';
      await this.changed('activated');
      return prepared.generation.id;
    });
  }

  /** Both steps at once: fine when every peer receives bundles by push before it sees new certs. */
  async rotate(next?: CaGeneration, signingKey?: Buffer): Promise<string> {
    await this.prepareRotation(next, signingKey);
    return this.activatePrepared();
  }

  /**
   * Step 3: remove a retired (or an unwanted prepared) generation, named by id or by root
   * fingerprint; certificates it issued stop being trusted everywhere the bundle reaches.
   */
  dropGeneration(idOrFingerprint: string): Promise<string> {
    return this.serialize(async () => {
      const i = this.#entries.findIndex(
        (e) =>
          e.generation.id === idOrFingerprint ||
          buildTrustBundle([e.generation.record.rootPem]).roots[0]!.fingerprint ===
            idOrFingerprint.toLowerCase(),
      );
      const entry = this.#entries[i];
      if (!entry) throw new CaError(`no generation or root ${idOrFingerprint}`);
      if (entry.state === 'active')
        throw new CaError(`generation ${entry.generation.id} is active; rotate first`);
      const sameRoot = this.#entries.filter(
        (e) => e.generation.record.rootPem === entry.generation.record.rootPem,
      );
      if (sameRoot.some((e) => e.state === 'active'))
        throw new CaError(`generation ${entry.generation.id} shares its root with the active one`);
      this.#entries.splice(i, 1);
      await this.changed('dropped');
      return entry.generation.id;
    });
  }

  /**
   * Takes the generations another replica persisted (a rotation step it ran) as this CA's own,
   * without persisting them again, and tells listeners as a local step would: issuance, SDS and
   * the trust bundle switch over on every replica that shares the store.
   */
  adopt(generations: readonly { generation: CaGeneration; state: GenerationState }[]): Promise<void> {
    return this.serialize(async () => {
      if (generations.filter((g) => g.state === 'active').length !== 1)
        throw new CaError('a CA needs exactly one active generation');
      const before = this.activeGeneration().id;
      const count = this.#entries.length;
      this.#entries.splice(0, count, ...generations.map((g) => ({ ...g })));
      const reason =
        this.activeGeneration().id !== before
          ? 'activated'
          : this.#entries.length > count
            ? 'prepared'
            : 'dropped';
      this.#bundle = this.computeBundle();
      this.notify(reason);
    });
  }

  private computeBundle(): TrustBundle {
    return buildTrustBundle(this.#entries.map((e) => e.generation.record.rootPem));
  }

  private async persist(): Promise<void> {
    await this.#store.saveState(
      this.trustDomain,
      this.#entries.map((e) => ({ ...e.generation.record, state: e.state })),
    );
  }

  private async changed(reason: CaChange['reason']): Promise<void> {
    this.#bundle = this.computeBundle();
    await this.persist();
    this.notify(reason);
  }

  private notify(reason: CaChange['reason']): void {
    const change: CaChange = { reason, bundle: this.#bundle, activeGeneration: this.activeGeneration().id };
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch {
        // A failing subscriber must not undo a rotation that is already persisted.
      }
    }
  }

  private serialize<T>(step: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(step, step);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

/** A store that keeps nothing: tests, benchmarks, and CAs rebuilt from an operator's files. */
export class MemoryCaStore implements CaStore {
  async addGeneration(): Promise<void> {}
  async saveState(): Promise<void> {}
}
