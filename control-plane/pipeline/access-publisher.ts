// Sends every pod the access rules of the models (docs/ACCESS.md, "At the pods"): each
// ModelRoute's spec.access, as one AccessRulesMessage on switchyard.pod.<id>.access, a subject
// only the control plane may publish on. A pod connected to a control plane admits no inference
// until its rules arrive, so they go out when a pod registers (start, reconnect, announce),
// when the policies change (checked every 500 ms), and again to every pod every 5 s, since core
// NATS keeps nothing for a pod that was away. Nothing is sent before the policies are loaded:
// an empty set sent early would open every model for a moment.
import { createHash } from 'node:crypto';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  type AccessRules,
  allPods,
  encodeAccessRules,
  podIdOf,
  podSubjects,
} from '../../kernel/contract/index.js';
import type { Logger } from '../../kernel/log/index.js';
import type { ModelRoute } from '../policy/index.js';

export interface AccessPublisherTimings {
  readonly checkMs?: number;
  readonly refreshMs?: number;
}

/** Pure: the message for a set of routes (models without spec.access are left out: open). */
export function accessMessageOf(routes: readonly ModelRoute[]): { version: string; body: Uint8Array } {
  const models: Record<string, AccessRules> = {};
  for (const r of [...routes].sort((a, b) => (a.spec.model < b.spec.model ? -1 : 1)))
    if (r.spec.access) models[r.spec.model] = r.spec.access;
  const json = JSON.stringify(models);
  const version = createHash('sha256').update(json).digest('hex').slice(0, 16);
  return { version, body: encodeAccessRules({ version, models }) };
}

export class AccessPublisher {
  private readonly pods = new Set<string>();
  private readonly subs: Subscription[];
  private readonly timer: NodeJS.Timeout;
  private current: { version: string; body: Uint8Array } | undefined;
  private lastRefresh = 0;

  private readonly log: Logger;

  /**
   * Subscribes to registrations at once (built before the control plane's announce, so that no
   * pod's answer is missed); `routes` gives undefined until the policies are loaded.
   */
  constructor(
    private readonly nc: NatsConnection,
    private readonly routes: () => readonly ModelRoute[] | undefined,
    log: Logger,
    private readonly timings: AccessPublisherTimings = {},
  ) {
    this.log = log.child('access');
    this.subs = [
      nc.subscribe(allPods('register'), {
        callback: (_err, msg) => {
          const id = podIdOf(msg.subject);
          if (!id) return;
          this.pods.add(id);
          if (this.current) this.send(id, this.current.body);
        },
      }),
      nc.subscribe(allPods('deregister'), {
        callback: (_err, msg) => {
          const id = podIdOf(msg.subject);
          if (id) this.pods.delete(id);
        },
      }),
    ];
    this.timer = setInterval(() => this.check(), timings.checkMs ?? 500);
    this.timer.unref();
  }

  /** The version in force (undefined before the policies are loaded). */
  get version(): string | undefined {
    return this.current?.version;
  }

  /** Publishes to every known pod when the rules changed, or every refresh period anyway. */
  check(): void {
    const routes = this.routes();
    if (!routes) return;
    const next = accessMessageOf(routes);
    const now = performance.now();
    const changed = next.version !== this.current?.version;
    if (!changed && now - this.lastRefresh < (this.timings.refreshMs ?? 5000)) return;
    if (changed) this.log.info(`access rules version ${next.version} to ${this.pods.size} pod(s)`);
    this.current = next;
    this.lastRefresh = now;
    for (const id of this.pods) this.send(id, next.body);
  }

  private send(podId: string, body: Uint8Array): void {
    try {
      this.nc.publish(podSubjects(podId).access, body);
    } catch (err) {
      this.log.warn(`access: publish to pod ${podId} failed: ${(err as Error).message}`);
    }
  }

  stop(): void {
    clearInterval(this.timer);
    for (const s of this.subs) s.unsubscribe();
  }
}
