// A KV watch that does not go blind when the NATS node holding its consumer dies. nats.js's KV
// watch is an ordered push consumer on one node; it notices that node's loss only by missed idle
// heartbeats, every 5 s on the first consumer and every 30 s on each one it recreates, and on a
// 3-node cluster the watch saw a write 54 s after it was acknowledged. This guard compares, once
// a second, the last revision the watch delivered with the last revision of what it watches (the
// bucket's stream, or the one key's subject): when that has moved past the watch at two checks in
// a row with no delivery between, it reads what the watch missed straight from the stream (a
// message read needs no consumer, so no meta leader), then restarts the watch from the revision
// after the last one delivered. Entries are applied in revision order, once: an old watch that
// wakes up again cannot move a key back. docs/OPERATIONS.md, "Failover timings".
import { Bucket, type KV, type KvEntry, KvWatchInclude } from '@nats-io/kv';
import type { Logger } from '../../kernel/log/index.js';
import { isTransient, JS_CREATE_TIMEOUT_MS } from './store-calls.js';

/** How often the guard compares the watch with the stream. */
export const WATCH_CHECK_MS = 1000;

/**
 * Most revisions one check reads from the stream; a longer gap is read over the next checks, or comes
 * with the restarted watch.
 */
export const CATCH_UP_MAX = 256;

/** Pause between tries to start the first watch. */
const START_RETRY_MS = 100;

export interface KvWatchOptions {
  readonly kv: KV;
  /** One key to watch; every key when absent. */
  readonly key?: string;
  /** What the watch is of, for its log lines. */
  readonly what: string;
  readonly log?: Logger;
  /** Each entry in revision order; `initial` is true until the bucket's content at start is in. */
  readonly onEntry: (e: KvEntry, initial: boolean) => void;
  /** After the content at start has been delivered, and after each later entry. */
  readonly onSettled?: () => void;
  readonly checkMs?: number;
}

type Watch = Awaited<ReturnType<KV['watch']>>;

export class KvWatch {
  private watch: Watch | undefined;
  private lastRevision = 0;
  private initialDone = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  /** The stream's last sequence at the previous check, when the watch was behind it. */
  private behindAt: { stream: number; watch: number } | undefined;
  /** A check (and whatever it started: a catch-up, a restart) is under way. */
  private busy = false;
  /** Restarts that failed in a row, and when the next may be tried (backing off). */
  private failedRestarts = 0;
  /** The watch stalled and no new one could be started yet: tried again at the next checks. */
  private restartOwed = false;
  private retryAt = 0;
  restarts = 0;
  /** Entries delivered by reading the stream directly, not by a watch. */
  caughtUp = 0;

  constructor(private readonly opts: KvWatchOptions) {}

  /** Resolves once the content at start has been delivered. */
  async start(): Promise<void> {
    let resolveInitial: () => void = () => {};
    const initial = new Promise<void>((r) => {
      resolveInitial = r;
    });
    this.watch = await this.starting('start', () =>
      this.opts.kv.watch({ include: KvWatchInclude.LastValue, ...this.keyOption() }),
    );
    if (this.stopped) {
      this.watch.stop();
      return;
    }
    this.drain(this.watch, resolveInitial);
    // An empty bucket delivers no entries at all.
    const status = await this.starting('read the bucket status', () => this.opts.kv.status());
    if (status.values === 0 && !this.initialDone) this.settleInitial(resolveInitial);
    await initial;
    this.timer = setInterval(() => void this.check(), this.opts.checkMs ?? WATCH_CHECK_MS);
    this.timer.unref();
  }

  /**
   * A call made while starting, tried again while it fails transiently, for up to
   * JS_CREATE_TIMEOUT_MS. The first watch's consumer is made through the JetStream meta leader,
   * as a bucket is: on a just-started or loaded cluster one request's timeout is not enough (it
   * ran out under the full test suite), and a replica must not fail its start for that.
   */
  private async starting<T>(what: string, call: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + JS_CREATE_TIMEOUT_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        if (this.stopped || !isTransient(err) || Date.now() >= deadline) throw err;
        this.opts.log?.warn(`${this.opts.what} watch could not ${what} yet; trying again`, {
          attempt,
          error: (err as Error).message,
        });
        await new Promise((r) => setTimeout(r, START_RETRY_MS));
      }
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.watch?.stop();
  }

  private settleInitial(resolveInitial: () => void): void {
    this.initialDone = true;
    this.opts.onSettled?.();
    resolveInitial();
  }

  private drain(watch: Watch, resolveInitial: () => void): void {
    void (async () => {
      for await (const e of watch) {
        if (watch !== this.watch || this.stopped) break;
        if (!this.apply(e)) continue;
        if (this.initialDone) this.opts.onSettled?.();
        else if (e.delta === 0) this.settleInitial(resolveInitial);
      }
    })().catch((err: Error) => this.opts.log?.warn(`${this.opts.what} watch ended`, { error: err.message }));
  }

  /**
   * Hands on an entry newer than the last one delivered; false for one already delivered (a
   * restarted watch or a read of the stream may overlap what the old watch delivered).
   */
  private apply(e: KvEntry): boolean {
    if (e.revision <= this.lastRevision) return false;
    this.lastRevision = e.revision;
    this.opts.onEntry(e, !this.initialDone);
    return true;
  }

  private keyOption(): { key?: string } {
    return this.opts.key === undefined ? {} : { key: this.opts.key };
  }

  /**
   * The last revision of what the watch follows (0: none yet); for one key, also its entry
   * there, which is all a catch-up of that key needs.
   */
  private async lastOfSource(): Promise<{ revision: number; entry?: KvEntry }> {
    const { kv, key } = this.opts;
    if (key === undefined) return { revision: (await kv.status()).streamInfo.state.last_seq };
    // The key's last message, a delete or purge marker included.
    try {
      const entry = await kv.get(key);
      return entry ? { revision: entry.revision, entry } : { revision: 0 };
    } catch (err) {
      if (/no message found|10037/i.test((err as Error).message)) return { revision: 0 };
      throw err;
    }
  }

  private async check(): Promise<void> {
    if (this.stopped || this.busy) return;
    this.busy = true;
    try {
      await this.compare();
    } finally {
      this.busy = false;
    }
  }

  private async compare(): Promise<void> {
    let stream: number;
    let last: KvEntry | undefined;
    try {
      ({ revision: stream, entry: last } = await this.lastOfSource());
    } catch {
      return; // the cluster is electing a leader; the next check asks again
    }
    if (stream <= this.lastRevision) {
      this.behindAt = undefined;
      // Caught up by reading the stream, but the stalled consumer still has to be replaced.
      if (this.restartOwed && Date.now() >= this.retryAt) await this.restart(stream);
      return;
    }
    const before = this.behindAt;
    this.behindAt = { stream, watch: this.lastRevision };
    // Behind once is a write on its way; behind twice with nothing delivered is a stall.
    if (!before || before.watch !== this.lastRevision) return;
    // A new consumer waits for the meta leader and for the lost node to be known as lost
    // (seconds, more on a loaded host); the stream answers reads as soon as it has a leader.
    await this.catchUp(stream, last);
    if (!this.stopped && Date.now() >= this.retryAt) await this.restart(stream);
  }

  /**
   * Delivers the revisions after the last one delivered, up to `stream`, read one by one; for one
   * key, `last`, its entry the check read.
   */
  private async catchUp(stream: number, last: KvEntry | undefined): Promise<void> {
    const { kv, key } = this.opts;
    const before = this.lastRevision;
    const delivered = this.caughtUp;
    try {
      if (key !== undefined) {
        // One key: its newest entry is what a watch of it would end on. A lagging replica may
        // have answered with an older one; the restarted watch delivers what follows it.
        if (last) this.deliver(last);
      } else if (kv instanceof Bucket) {
        const name = kv.bucketName();
        const end = Math.min(stream, this.lastRevision + CATCH_UP_MAX);
        for (let seq = this.lastRevision + 1; seq <= end && !this.stopped; seq++) {
          // From the stream's leader, never a direct get: any replica answers those, and one
          // that lags would call a revision it has not applied yet missing, and it would be
          // stepped over for good.
          const sm = await kv.jsm.streams.getMessage(name, { seq });
          // Gone (a newer revision of its key replaced it): nothing to deliver for it.
          if (sm) this.deliver(kv.smToEntry(sm));
        }
      }
    } catch {
      // A read that failed stops the catch-up where it is (order is kept); the next check goes on.
    }
    if (this.caughtUp > delivered) {
      this.opts.log?.warn(`${this.opts.what} watch stalled; read what it missed from the stream`, {
        fromRevision: before + 1,
        toRevision: this.lastRevision,
      });
    }
  }

  /** One entry read from the stream, when the watch has not delivered it. */
  private deliver(e: KvEntry): void {
    if (this.stopped || !this.apply(e)) return;
    this.caughtUp++;
    this.opts.onSettled?.();
  }

  private async restart(stream: number): Promise<void> {
    const from = this.lastRevision + 1;
    try {
      const next = await this.opts.kv.watch({
        include: KvWatchInclude.AllHistory,
        resumeFromRevision: from,
        ...this.keyOption(),
      });
      if (this.stopped) {
        next.stop();
        return;
      }
      const old = this.watch;
      this.watch = next;
      old?.stop();
      this.restarts++;
      this.failedRestarts = 0;
      this.restartOwed = false;
      this.behindAt = undefined;
      this.opts.log?.warn(
        `${this.opts.what} watch stalled behind its stream (its NATS node was likely lost); restarted`,
        {
          watchRevision: this.lastRevision,
          streamRevision: stream,
        },
      );
      this.drain(next, () => {});
    } catch (err) {
      // A new consumer needs the meta leader: while the cluster elects one, every try times out.
      // Backing off (1 s, then every 2 s) keeps the tries from piling up consumer creations, and
      // still catches the new leader within 2 s of its election.
      this.failedRestarts++;
      this.restartOwed = true;
      this.retryAt = Date.now() + Math.min(2000, 1000 * 2 ** (this.failedRestarts - 1));
      this.opts.log?.warn(`${this.opts.what} watch stalled; restarting it failed, trying again`, {
        error: (err as Error).message,
      });
    }
  }
}
