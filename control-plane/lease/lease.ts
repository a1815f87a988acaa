// A lease in a JetStream KV bucket: one key per job group ("leader" for everything today), a
// record naming its holder, its fencing token and its expiry, renewed by compare-and-set on the
// key's revision. Whoever finds the record expired takes it over with the next token; of two
// replicas trying at once exactly one write lands (the other's expected revision is stale).
//
// Liveness rests on clocks: a follower takes over once the holder's expiry has passed on the
// follower's own clock, so clock skew between replicas shortens or lengthens the gap by as much.
// Safety does not: every singleton write carries the token and is refused once a newer one exists
// (docs/OPERATIONS.md, "Leader election").
import type { KV, KvEntry } from '@nats-io/kv';
import type { Logger } from '../../kernel/log/index.js';
import { casWrite, isCasFailure, storeCall } from '../store/store-calls.js';
import { LeaseFencedError } from './errors.js';
import { decodeLease, encodeLease, type LeaseRecord, nextStep } from './lease-record.js';

export const DEFAULT_LEASE_TTL_MS = 6000;

export interface LeaseOptions {
  readonly kv: KV;
  /** The job group: one key of the bucket. */
  readonly group: string;
  /** This replica's name, unique among replicas (host, pid and a random suffix by default). */
  readonly holder: string;
  readonly ttlMs?: number;
  /** Default ttl / 3: a leader has two more tries before its lease runs out. */
  readonly renewEveryMs?: number;
  readonly now?: () => number;
  readonly log?: Logger;
}

/** What status pages show: who leads, with which token, until when. */
export interface LeaseStatus {
  readonly group: string;
  readonly replica: string;
  /** False until the key was read once, and again while the store does not answer. */
  readonly known: boolean;
  readonly leader: string | undefined;
  readonly token: number | undefined;
  readonly expiresAt: string | undefined;
  readonly held: boolean;
}

export class Lease {
  readonly group: string;
  readonly holder: string;
  readonly ttlMs: number;
  readonly #kv: KV;
  readonly #renewEveryMs: number;
  readonly #now: () => number;
  readonly #log: Logger | undefined;
  #record: LeaseRecord | undefined;
  #known = false;
  #held = false;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();
  #stopped = true;
  readonly #listeners = new Set<(held: boolean) => void>();

  constructor(o: LeaseOptions) {
    this.#kv = o.kv;
    this.group = o.group;
    this.holder = o.holder;
    this.ttlMs = o.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    this.#renewEveryMs = o.renewEveryMs ?? Math.max(50, Math.floor(this.ttlMs / 3));
    this.#now = o.now ?? Date.now;
    this.#log = o.log;
  }

  /** Tries once (so the state is known when this resolves), then keeps trying and renewing. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.tick();
  }

  /** Called with true when this replica becomes the leader and false when it stops being it. */
  onChange(listener: (held: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  isLeaseKnown(): boolean {
    return this.#known;
  }

  /**
   * Held until the expiry this replica wrote, by its own clock. A leader that cannot renew stops
   * acting on its own before any follower may take over (followers wait for the same instant).
   */
  isHeld(): boolean {
    return this.#held && !!this.#record && this.#record.expiresAt > this.#now();
  }

  /** The fencing token of this replica's term; a LeaseFencedError when it does not lead. */
  token(): number {
    if (!this.isHeld()) throw new LeaseFencedError(this.group, `${this.holder} does not hold the lease`);
    return this.#record!.token;
  }

  /**
   * Reads the lease from the store and refuses `token` unless it is the current term and the term
   * is ours: what every singleton write calls right before it writes.
   */
  async checkFence(token: number): Promise<void> {
    const e = await storeCall(`read lease ${this.group}`, () => this.#kv.get(this.group));
    const cur = e && e.operation === 'PUT' ? decodeLease(e.value) : undefined;
    if (!cur || cur.token !== token || cur.holder !== this.holder)
      throw new LeaseFencedError(
        this.group,
        `fencing token ${token} is stale (the lease is at token ${cur?.token ?? 0}, held by ${cur?.holder || 'nobody'})`,
      );
  }

  status(): LeaseStatus {
    const r = this.#record;
    const live = !!r && r.expiresAt > this.#now();
    return {
      group: this.group,
      replica: this.holder,
      known: this.#known,
      leader: live ? r.holder : undefined,
      token: r?.token,
      expiresAt: r && r.expiresAt > 0 ? new Date(r.expiresAt).toISOString() : undefined,
      held: this.isHeld(),
    };
  }

  /** Stops renewing; a holder releases the lease (expiry 0) so a follower need not wait it out. */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    if (opts.release !== false && this.isHeld()) {
      const r = this.#record!;
      await storeCall(`release lease ${this.group}`, () =>
        this.#kv.update(this.group, encodeLease({ ...r, expiresAt: 0 }), this.#revision),
      ).catch((err) =>
        this.#log?.warn('lease release failed; it expires on its own', { error: String(err) }),
      );
    }
    this.setHeld(false);
  }

  #revision = 0;

  private tick(): Promise<void> {
    this.#running = this.#running.then(async () => {
      if (this.#stopped) return;
      let delay = this.#renewEveryMs;
      try {
        delay = await this.attempt();
      } catch (err) {
        this.#known = false;
        this.#log?.warn('lease: store unreachable; retrying', { group: this.group, error: String(err) });
      }
      this.setHeld(this.isHeld());
      if (!this.#stopped) this.#timer = setTimeout(() => void this.tick(), Math.max(10, delay));
    });
    return this.#running;
  }

  /** One read and at most one write; returns how long to wait before the next attempt. */
  private async attempt(): Promise<number> {
    const e: KvEntry | null = await storeCall(`read lease ${this.group}`, () => this.#kv.get(this.group));
    const current = e && e.operation === 'PUT' ? decodeLease(e.value) : undefined;
    const now = this.#now();
    const step = nextStep(current, this.holder, now, this.ttlMs);
    this.#known = true;
    if (step.kind === 'wait') {
      this.#record = current;
      this.#revision = e!.revision;
      this.#held = false;
      return Math.min(this.#renewEveryMs, step.until - now + 5);
    }
    const data = encodeLease(step.next);
    try {
      // A retried write whose first attempt landed (its answer lost with the node that sent it)
      // fails its compare-and-set on itself: the stored record, with this attempt's expiry in
      // it, says it is ours (casWrite). Taken for another replica's, it would drop the lease.
      const rev = await casWrite(`write lease ${this.group}`, this.#kv, this.group, data, () =>
        step.kind === 'create' || !e
          ? this.#kv.create(this.group, data)
          : this.#kv.update(this.group, data, e.revision),
      );
      this.#record = step.next;
      this.#revision = rev;
      this.#held = true;
      if (step.kind !== 'renew')
        this.#log?.info('lease acquired', { group: this.group, holder: this.holder, token: step.next.token });
      return this.#renewEveryMs;
    } catch (err) {
      if (!isCasFailure(err)) throw err;
      // Another replica wrote first: read again at once to learn who.
      this.#held = false;
      return 10;
    }
  }

  private setHeld(held: boolean): void {
    if (held === this.#lastNotified) return;
    this.#lastNotified = held;
    for (const l of this.#listeners) {
      try {
        l(held);
      } catch (err) {
        this.#log?.error('lease listener failed', { error: String(err) });
      }
    }
  }

  #lastNotified = false;
}
