// Tells the stable version's pods what to mirror (proxyless gRPC, docs/ROLLOUTS.md,
// "Mirroring"): a MirrorConfig on switchyard.pod.<podId>.mirror. Plans come from sources set by
// name (the routes' spec.mirror, a rollout's mirror step); a check every second publishes what
// changed (new plans, candidate pods that came or went), and every 5 s everything is published
// again, since core NATS does not keep messages for a pod that restarted or reconnected.
import type { NatsConnection } from '@nats-io/transport-node';
import { encodeMirrorConfig, podSubjects } from '../../kernel/contract/index.js';
import type { Logger } from '../../kernel/log/index.js';
import type { EndpointStatus } from '../endpoints/index.js';
import { type MirrorConfigInit, type MirrorPlan, mirrorConfigs } from './mirror-plan.js';

export interface MirrorPublisherDeps {
  readonly nc: NatsConnection;
  /** The endpoint table's view: which pods serve which version, and their health. */
  readonly statuses: () => ReadonlyMap<string, readonly EndpointStatus[]>;
  readonly log: Logger;
  /** Full re-publication period (default 5 s). */
  readonly refreshMs?: number;
  /** Change check period (default 1 s). */
  readonly checkMs?: number;
}

export class MirrorPublisher {
  private readonly sources = new Map<string, readonly MirrorPlan[]>();
  /** What each pod was last sent, as JSON; pods told to stop are dropped. */
  private readonly sent = new Map<string, string>();
  private revision = 0n;
  private timer: NodeJS.Timeout | undefined;
  private lastRefresh = 0;

  constructor(private readonly deps: MirrorPublisherDeps) {}

  start(): void {
    this.timer = setInterval(() => this.check(), this.deps.checkMs ?? 1000);
    this.timer.unref();
  }

  /** Replaces one source's plans (e.g. 'routes', 'rollout:fraud') and publishes the change now. */
  setPlans(source: string, plans: readonly MirrorPlan[]): void {
    if (plans.length) this.sources.set(source, plans);
    else this.sources.delete(source);
    this.publish(false);
  }

  plans(): MirrorPlan[] {
    return [...this.sources.values()].flat();
  }

  /** Publishes what differs from what was sent, or everything with `all`. */
  publish(all: boolean): void {
    const configs = mirrorConfigs(this.plans(), this.deps.statuses(), this.sent.keys());
    for (const [podId, init] of configs) {
      const key = JSON.stringify(init);
      if (!all && this.sent.get(podId) === key) continue;
      if (this.send(podId, init)) {
        if (init.toVersion) this.sent.set(podId, key);
        else this.sent.delete(podId);
      }
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    const now = performance.now();
    const all = now - this.lastRefresh >= (this.deps.refreshMs ?? 5000);
    if (all) this.lastRefresh = now;
    this.publish(all);
  }

  private send(podId: string, init: MirrorConfigInit): boolean {
    this.revision += 1n;
    try {
      this.deps.nc.publish(
        podSubjects(podId).mirror,
        encodeMirrorConfig({ ...init, revision: this.revision, sentAtMs: BigInt(Date.now()) }),
      );
      return true;
    } catch (err) {
      this.deps.log.warn(`mirror: publish to pod ${podId} failed: ${(err as Error).message}`);
      return false;
    }
  }
}
