// Endpoint discovery, the runner: the NATS subscriber feeds the endpoint table, a timer ages it
// and tunes the weights, and changes reach the snapshot publisher coalesced (100 ms quiet, 1 s
// at most, so a heartbeat flood never becomes a push storm). While NATS is down the table is
// frozen (fail static); after a restart, an announce rebuilds it before the first snapshot.
import type { NatsConnection } from '@nats-io/transport-node';
import type { Registry } from 'prom-client';
import type { SwitchyardError } from '../../../kernel/errors/index.js';
import { type Logger, LogThrottle } from '../../../kernel/log/index.js';
import { Debouncer } from '../../../kernel/runtime/debounce.js';
import type { EndpointTable } from '../../translate/types.js';
import type { PodMessage, PodMessageKind } from '../model/decode.js';
import type { VersionFigures } from '../model/figures.js';
import { type EndpointStatus, EndpointTableState, type Outcome } from '../model/table.js';
import { type DiscoveryInput, type DiscoveryOptions, parseDiscoveryOptions } from '../options.js';
import { DiscoveryMetrics } from './metrics.js';
import { PodSignalSubscriber } from './subscriber.js';

export interface DiscoveryDeps {
  readonly nc: NatsConnection;
  readonly log: Logger;
  readonly registry: Registry;
  /** Receives the routing table after each coalesced burst of changes. */
  readonly publish: (table: EndpointTable) => void;
  /** Latency objectives by model, in ms (from the policies). */
  readonly objectives?: () => ReadonlyMap<string, number>;
  /** Changes merged into an earlier push. */
  readonly onSaved?: (saved: number) => void;
  readonly now?: () => number;
}

/** One warning per kind and reason per interval: junk floods cost lines, not the log. */
const REJECT_LOG_INTERVAL_MS = 10_000;

export class EndpointDiscovery {
  readonly table: EndpointTableState;
  readonly opts: DiscoveryOptions;
  readonly metrics: DiscoveryMetrics;
  private readonly subscriber: PodSignalSubscriber;
  private readonly coalescer: Debouncer;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private lastAnnounce = Number.NEGATIVE_INFINITY;
  private lastRegistration = 0;
  private lastTune = Number.NEGATIVE_INFINITY;
  /** Routing changes since the last push: what coalescing merged is this minus one. */
  private pending = 0;
  private live = false;
  private readonly rejectLog = new LogThrottle(REJECT_LOG_INTERVAL_MS);

  constructor(
    private readonly deps: DiscoveryDeps,
    options: DiscoveryInput = {},
  ) {
    this.opts = parseDiscoveryOptions(options);
    this.now = deps.now ?? (() => performance.now());
    this.table = new EndpointTableState(this.opts);
    this.metrics = new DiscoveryMetrics(deps.registry, () => this.table.stateCounts());
    this.subscriber = new PodSignalSubscriber(
      deps.nc,
      {
        message: (m) => this.onMessage(m),
        rejected: (kind, err) => this.onRejected(kind, err),
        connection: (up) => this.onConnection(up),
      },
      deps.log,
    );
    this.coalescer = new Debouncer({
      quietMs: this.opts.edsQuietMs,
      maxMs: this.opts.edsMaxMs,
      run: () => this.push(),
    });
  }

  /**
   * Subscribes, asks every pod to register and waits until the registrations have settled, so
   * the first snapshot after a restart already holds the endpoints it held before. Call
   * routingTable() after it for that first snapshot; later changes go to `publish`.
   */
  async start(): Promise<void> {
    this.subscriber.start();
    if (!this.subscriber.authenticated)
      this.deps.log.warn(
        'NATS asks for no authentication: any client can publish pod registrations, so the ' +
          'subject identity check proves nothing (local development only)',
      );
    this.announce('start', 'control plane started', true);
    await this.warmUp();
    this.timer = setInterval(() => this.tick(), this.opts.tickMs);
    this.timer.unref();
    this.live = true;
    this.deps.log.info('endpoint discovery started', {
      pods: this.table.size,
      weights: this.opts.weights,
    });
  }

  routingTable(): EndpointTable {
    return this.table.routingTable();
  }

  statuses(): Map<string, EndpointStatus[]> {
    return this.table.statuses(this.now());
  }

  /**
   * A version's interval figures summed across its pods: the latest interval and the running
   * total (docs/ENDPOINTS.md, "Interval figures"). What a rollout's analysis reads.
   */
  versionFigures(model: string, version: string): VersionFigures {
    return this.table.versionFigures(model, version);
  }

  stop(): void {
    this.live = false;
    if (this.timer) clearInterval(this.timer);
    this.coalescer.close();
    this.subscriber.stop();
  }

  private async warmUp(): Promise<void> {
    const { warmupMinMs, warmupQuietMs, warmupMaxMs } = this.opts;
    const started = this.now();
    this.lastRegistration = started;
    for (;;) {
      await new Promise((r) => setTimeout(r, Math.min(25, warmupQuietMs)));
      const now = this.now();
      if (now - started >= warmupMaxMs) return;
      if (now - started >= warmupMinMs && now - this.lastRegistration >= warmupQuietMs) return;
    }
  }

  private onMessage(m: PodMessage): void {
    const before = this.table.changes;
    const now = this.now();
    let outcome: Outcome;
    switch (m.kind) {
      case 'register':
        outcome = this.table.register(m.info, now) ? 'accepted' : 'stale';
        if (outcome === 'accepted') this.lastRegistration = now;
        break;
      case 'heartbeat':
        outcome = this.table.heartbeat(m.info, now);
        // A heartbeat without the registration it belongs to: the registration was lost
        // (core NATS drops while disconnected) or this control plane is new.
        if (outcome === 'unknown-pod' || outcome === 'unknown-revision')
          this.announce(outcome, `heartbeat from pod ${m.info.podId}: ${outcome}`);
        break;
      case 'drain':
        outcome = this.table.drain(m.podId, m.sequence, now);
        break;
      case 'deregister':
        outcome = this.table.deregister(m.podId, m.sequence);
        break;
    }
    if (outcome === 'accepted' || outcome === 'unknown-revision') this.metrics.messages.inc({ kind: m.kind });
    else this.metrics.rejected.inc({ kind: m.kind, reason: outcome });
    this.changed(this.table.changes - before);
  }

  private onRejected(kind: PodMessageKind, err: SwitchyardError): void {
    this.metrics.rejected.inc({ kind, reason: err.code });
    const line = this.rejectLog.event(`${kind} ${err.code}`, this.now());
    if (line)
      this.deps.log.warn('pod message rejected', {
        kind,
        code: err.code,
        error: err.message,
        ...(line.suppressed ? { suppressed: line.suppressed } : {}),
      });
  }

  private flushRejectLog(now: number): void {
    for (const line of this.rejectLog.flush(now)) {
      const [kind, code] = line.key.split(' ');
      this.deps.log.warn('pod messages rejected (not logged one by one)', {
        kind,
        code,
        suppressed: line.suppressed,
      });
    }
  }

  private onConnection(up: boolean): void {
    const now = this.now();
    if (up) {
      this.table.thaw(now);
      this.metrics.frozen.set(0);
      this.deps.log.info('NATS is back: endpoint health resumes; pods re-register');
      this.announce('reconnect', 'control plane reconnected', true);
    } else {
      this.table.freeze(now);
      this.metrics.frozen.set(1);
      this.deps.log.warn('NATS unreachable: endpoint health frozen, the last endpoints keep serving');
    }
  }

  private tick(): void {
    const before = this.table.changes;
    const now = this.now();
    this.flushRejectLog(now);
    const tune = now - this.lastTune >= this.opts.tuneMs;
    if (tune) this.lastTune = now;
    const objectives = tune ? this.deps.objectives?.() : undefined;
    this.table.tick(now, objectives ? (model) => objectives.get(model) : undefined, tune);
    this.changed(this.table.changes - before);
  }

  private changed(count: number): void {
    if (!this.live || count === 0) return;
    this.pending += count;
    this.coalescer.trigger();
  }

  private push(): void {
    this.metrics.pushes.inc();
    if (this.pending > 1) this.deps.onSaved?.(this.pending - 1);
    this.pending = 0;
    this.deps.publish(this.table.routingTable());
  }

  /** `label` is the metric's reason (a few fixed words), `reason` what the pods are told. */
  private announce(label: string, reason: string, force = false): void {
    const now = this.now();
    if (!force && now - this.lastAnnounce < this.opts.announceMinIntervalMs) return;
    this.lastAnnounce = now;
    this.metrics.announces.inc({ reason: label });
    this.subscriber.announce(reason);
  }
}
