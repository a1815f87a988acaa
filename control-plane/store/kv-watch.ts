// A KV watch that does not go blind when the NATS node holding its consumer dies. nats.js's KV
// watch is an ordered push consumer on one node; it notices that node's loss only by missed idle
// heartbeats, every 5 s on the first consumer and every 30 s on each one it recreates, and on a
// 3-node cluster the watch saw a write 54 s after it was acknowledged. This guard compares, once
// a second, the last revision the watch delivered with the last revision of what it watches (the
// bucket's stream, or the one key's subject): when that has moved past the watch at two checks in
// a row with no delivery between, it restarts the watch from the revision after the last one
// delivered. Entries are applied in revision order,
// once: an old watch that wakes up again cannot move a key back. docs/OPERATIONS.md, "Losing a
// NATS node".
import { type KV, type KvEntry, KvWatchInclude } from '@nats-io/kv';
import type { Logger } from '../../kernel/log/index.js';

/** How often the guard compares the watch with the stream. */
export const WATCH_CHECK_MS = 1000;

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
  private restarting = false;
  /** Restarts that failed in a row, and when the next may be tried (backing off). */
  private failedRestarts = 0;
  private retryAt = 0;
  restarts = 0;

  constructor(private readonly opts: KvWatchOptions) {}

  /** Resolves once the content at start has been delivered. */
  async start(): Promise<void> {
    let resolveInitial: () => void = () => {};
    const initial = new Promise<void>((r) => {
      resolveInitial = r;
    });
    this.watch = await this.opts.kv.watch({ include: KvWatchInclude.LastValue, ...this.keyOption() });
    this.drain(this.watch, resolveInitial);
    // An empty bucket delivers no entries at all.
    const status = await this.opts.kv.status();
    if (status.values === 0 && !this.initialDone) this.settleInitial(resolveInitial);
    await initial;
    this.timer = setInterval(() => void this.check(), this.opts.checkMs ?? WATCH_CHECK_MS);
    this.timer.unref();
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
        // A restarted watch may overlap what the old one delivered.
        if (e.revision <= this.lastRevision) continue;
        this.lastRevision = e.revision;
        this.opts.onEntry(e, !this.initialDone);
        if (this.initialDone) this.opts.onSettled?.();
        else if (e.delta === 0) this.settleInitial(resolveInitial);
      }
    })().catch((err: Error) => this.opts.log?.warn(`${this.opts.what} watch ended`, { error: err.message }));
  }

  private keyOption(): { key?: string } {
    return this.opts.key === undefined ? {} : { key: this.opts.key };
  }

  /** The last revision of what the watch follows (0: none yet). */
  private async lastRevisionOfSource(): Promise<number> {
    const { kv, key } = this.opts;
    if (key === undefined) return (await kv.status()).streamInfo.state.last_seq;
    // The key's last message, a delete or purge marker included.
    try {
      return (await kv.get(key))?.revision ?? 0;
    } catch (err) {
      if (/no message found|10037/i.test((err as Error).message)) return 0;
      throw err;
    }
  }

  private async check(): Promise<void> {
    if (this.stopped || this.restarting || Date.now() < this.retryAt) return;
    let stream: number;
    try {
      stream = await this.lastRevisionOfSource();
    } catch {
      return; // the cluster is electing a leader; the next check asks again
    }
    if (stream <= this.lastRevision) {
      this.behindAt = undefined;
      return;
    }
    const before = this.behindAt;
    this.behindAt = { stream, watch: this.lastRevision };
    // Behind once is a write on its way; behind twice with nothing delivered is a stall.
    if (!before || before.watch !== this.lastRevision) return;
    await this.restart(stream);
  }

  private async restart(stream: number): Promise<void> {
    this.restarting = true;
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
      this.retryAt = Date.now() + Math.min(2000, 1000 * 2 ** (this.failedRestarts - 1));
      this.opts.log?.warn(`${this.opts.what} watch stalled; restarting it failed, trying again`, {
        error: (err as Error).message,
      });
    } finally {
      this.restarting = false;
    }
  }
}
