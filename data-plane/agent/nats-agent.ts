// The pod's voice on NATS: registers on connect and after every reconnect (core NATS drops
// what was published while disconnected), re-registers when its models change or when the
// control plane asks (announce), sends a heartbeat every interval, and tells the drain
// sequence and the final goodbye. Thin: message content comes from messages.ts.
import { equals } from '@bufbuild/protobuf';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  ANNOUNCE_SUBJECT,
  decodeAnnounce,
  encodePodBody,
  POD_MESSAGE_SCHEMAS,
  type PodRegistration,
  podSubjects,
} from '../../kernel/contract/index.js';
import { NATS_FAILOVER_TIMINGS, seedList } from '../../kernel/contract/nats-client.js';
import type { Logger } from '../../kernel/log/index.js';
import type { IntervalFigures } from '../stats/interval.js';
import {
  deregistrationOf,
  drainNoticeOf,
  heartbeatOf,
  type PodIdentity,
  type PodStatus,
  registrationOf,
} from './messages.js';

export interface AgentOptions {
  /** Seed URLs (a list, or comma-separated in one string). */
  readonly url: string | readonly string[];
  readonly user?: string;
  readonly pass?: string;
  readonly identity: PodIdentity;
  readonly log: Logger;
  /** Current state; called for every message. */
  readonly status: () => PodStatus;
  /** Takes a fresh utilization sample (before each heartbeat). */
  readonly sample: () => Promise<unknown>;
  /** Hands over the per-version counters since the previous heartbeat (and resets them). */
  readonly takeInterval?: () => ReadonlyMap<string, IntervalFigures>;
  /** A MirrorConfig arrived on the pod's mirror subject (raw body). */
  readonly onMirror?: (body: Uint8Array) => void;
  /** Called once connected, before the first registration (a managed pod subscribes here). */
  readonly onConnect?: (nc: NatsConnection) => void;
}

/** One connection attempt; a NATS that does not answer at all is retried like a refused one. */
const CONNECT_TIMEOUT_MS = 2000;
const RETRY_MS = 1000;
/** Closing flushes first; a NATS gone mid-drain must not keep the process from exiting. */
const CLOSE_TIMEOUT_MS = 2000;

async function closeBounded(nc: NatsConnection): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    nc.close().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
}

export class NatsAgent {
  private nc: NatsConnection | undefined;
  private readonly subjects;
  private sequence = 0n;
  private revision = 0n;
  private lastRegistration: PodRegistration | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private connected = false;
  private stopped = false;
  private registerQueued = false;
  private unreachableSaid = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private wakeRetry: (() => void) | undefined;
  /** Resolves once the first registration went out. */
  readonly registered: Promise<void>;
  private markRegistered!: () => void;

  constructor(private readonly opts: AgentOptions) {
    this.subjects = podSubjects(opts.identity.podId);
    this.registered = new Promise((resolve) => {
      this.markRegistered = resolve;
    });
  }

  /**
   * Connects in the background, retrying for ever: the pod serves with or without NATS. An
   * unreachable NATS is said once (a warning), and again when it becomes reachable; stop()
   * ends the retries, so a drained pod never waits on a NATS that is not there.
   */
  start(): void {
    void this.connectLoop();
  }

  private async connectOnce(): Promise<NatsConnection | undefined> {
    const { url, user, pass, identity, log } = this.opts;
    try {
      return await connect({
        servers: seedList(url),
        ...(user ? { user } : {}),
        ...(pass ? { pass } : {}),
        name: `switchyard-pod-${identity.podId}`,
        ...NATS_FAILOVER_TIMINGS,
        timeout: CONNECT_TIMEOUT_MS,
        // Many pods per node: a slower keep-alive than the control plane's. A pod whose node
        // vanished silently misses heartbeats for ~15 s at worst, which the control plane's
        // heartbeat-misses rule already treats as unhealthy.
        pingInterval: 5_000,
        maxPingOut: 2,
      });
    } catch (err) {
      if (!this.unreachableSaid)
        log.warn(
          `nats: cannot reach ${url} (${(err as Error).message}); serving without registration, retrying every ${RETRY_MS} ms`,
        );
      this.unreachableSaid = true;
      return undefined;
    }
  }

  private async connectLoop(): Promise<void> {
    const { url, identity, log } = this.opts;
    while (!this.stopped) {
      this.nc = await this.connectOnce();
      if (this.nc || this.stopped) break;
      await new Promise<void>((resolve) => {
        this.retryTimer = setTimeout(resolve, RETRY_MS);
        this.wakeRetry = resolve;
      });
    }
    if (!this.nc) return;
    if (this.stopped) {
      await closeBounded(this.nc);
      return;
    }
    this.connected = true;
    log.info(`nats: connected to ${url} as pod ${identity.podId}`);
    void this.watchStatus(this.nc);
    this.opts.onConnect?.(this.nc);
    this.nc.subscribe(ANNOUNCE_SUBJECT, {
      callback: (_err, msg) => {
        let region = '';
        try {
          region = decodeAnnounce(msg.data).region;
        } catch {
          // An empty or foreign body still means "announce".
        }
        if (!region || region === identity.region) this.publishRegistration('announce requested');
      },
    });
    const onMirror = this.opts.onMirror;
    // Subscriptions survive reconnects (the client renews them), so this happens once.
    // A NATS user without the grant gets a permissions error here, not a message: say so plainly.
    if (onMirror)
      this.nc.subscribe(this.subjects.mirror, {
        callback: (err, msg) => {
          if (err) this.opts.log.warn(`nats: cannot subscribe to ${this.subjects.mirror}: ${err.message}`);
          else onMirror(msg.data);
        },
      });
    this.publishRegistration('start');
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), identity.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        this.connected = false;
        this.opts.log.warn(`nats: disconnected from ${s.server}`);
      } else if (s.type === 'reconnect') {
        this.connected = true;
        this.opts.log.info(`nats: reconnected to ${s.server}; registering again`);
        this.publishRegistration('reconnect');
      }
    }
  }

  /** The models or the phase changed: registration again (coalesced within a tick). */
  changed(): void {
    if (this.registerQueued) return;
    this.registerQueued = true;
    queueMicrotask(() => {
      this.registerQueued = false;
      this.publishRegistration('change');
    });
  }

  private next(): bigint {
    this.sequence += 1n;
    return this.sequence;
  }

  private publish(subject: string, bytes: Uint8Array): boolean {
    if (!this.nc || !this.connected || this.nc.isClosed()) return false;
    try {
      this.nc.publish(subject, bytes);
      return true;
    } catch (err) {
      this.opts.log.warn(`nats: publish to ${subject} failed: ${(err as Error).message}`);
      return false;
    }
  }

  publishRegistration(why: string): void {
    const reg = registrationOf(this.opts.identity, this.opts.status());
    if (!this.lastRegistration || !equals(POD_MESSAGE_SCHEMAS.register, reg, this.lastRegistration)) {
      this.revision += 1n;
      this.lastRegistration = reg;
    }
    const msg = { ...reg, revision: this.revision, sequence: this.next(), sentAtMs: BigInt(Date.now()) };
    if (this.publish(this.subjects.register, encodePodBody('register', msg))) {
      this.opts.log.info(
        `nats: registered (${why}, revision ${this.revision}, ${reg.models.length} model version(s))`,
      );
      this.markRegistered();
    }
  }

  /** The last sequence number used (grows with every message sent). */
  get lastSequence(): bigint {
    return this.sequence;
  }

  /** Sends one heartbeat now (also called on phase changes so the state travels at once). */
  async heartbeat(): Promise<void> {
    if (!this.connected) return;
    await this.opts.sample();
    if (this.lastRegistration === undefined) return;
    const hb = heartbeatOf(
      this.opts.identity,
      this.opts.status(),
      { sequence: this.next(), sentAtMs: Date.now(), revision: this.revision },
      this.opts.takeInterval?.(),
    );
    this.publish(this.subjects.heartbeat, encodePodBody('heartbeat', hb));
  }

  async drainNotice(
    phase: 'draining' | 'refusing' | 'drained',
    graceMs: number,
    reason: string,
  ): Promise<void> {
    const n = drainNoticeOf(this.opts.identity, this.opts.status(), phase, {
      sequence: this.next(),
      sentAtMs: Date.now(),
      graceMs,
      reason,
    });
    this.publish(this.subjects.drain, encodePodBody('drain', n));
    await this.flush();
  }

  /** Says goodbye and closes the connection (flushing what is pending). */
  async stop(reason: string): Promise<void> {
    this.stopped = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    clearTimeout(this.retryTimer);
    this.wakeRetry?.();
    const d = deregistrationOf(this.opts.identity, this.opts.status(), {
      sequence: this.next(),
      sentAtMs: Date.now(),
      reason,
    });
    this.publish(this.subjects.deregister, encodePodBody('deregister', d));
    await this.flush();
    if (this.nc) await closeBounded(this.nc);
  }

  private async flush(): Promise<void> {
    if (!this.nc || !this.connected || this.nc.isClosed()) return;
    try {
      await Promise.race([this.nc.flush(), new Promise((r) => setTimeout(r, 2000))]);
    } catch {
      // Flushing is best effort: the pod exits either way.
    }
  }
}
