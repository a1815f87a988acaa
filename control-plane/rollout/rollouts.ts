// Rollouts in the control plane: the KV store, the API's service, the heartbeat figures and the
// controller (which acts only while this replica holds the lease). Needs NATS: without a policy
// store there is nothing to write revisions to.
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from '../../kernel/log/index.js';
import type { PolicyService } from '../api/policy-service.js';
import type { AuditSink } from '../audit/audit-log.js';
import type { Lease } from '../lease/index.js';
import type { PolicyStore } from '../store/policy-store.js';
import type { StoreNames } from '../store/store-names.js';
import { RolloutController, type RolloutHooks } from './controller.js';
import { HeartbeatFigures } from './heartbeat-figures.js';
import { listenToHeartbeats } from './heartbeat-listener.js';
import { RolloutService } from './rollout-service.js';
import { KvRolloutStore } from './rollout-store.js';

export interface RolloutsOptions {
  readonly nc: NatsConnection;
  readonly names: StoreNames;
  readonly replicas: number;
  readonly policies: PolicyStore;
  readonly service: () => PolicyService;
  readonly lease?: Lease;
  readonly audit?: AuditSink;
  readonly log: Logger;
  readonly hooks?: RolloutHooks;
  readonly rateLimiter?: { take(id: string): void };
}

export interface Rollouts {
  readonly service: RolloutService;
  readonly controller: RolloutController;
  stop(): Promise<void>;
}

export const ROLLOUT_BUCKET = 'rollouts';

export async function startRollouts(o: RolloutsOptions): Promise<Rollouts> {
  const store = await KvRolloutStore.open(o.nc, o.names.bucket(ROLLOUT_BUCKET), o.replicas);
  const figures = new HeartbeatFigures();
  const sub: Subscription = listenToHeartbeats(o.nc, figures, o.log);
  const controller = new RolloutController({
    store,
    policies: o.policies,
    service: o.service,
    figures,
    log: o.log,
    ...(o.lease ? { lease: o.lease } : {}),
    ...(o.hooks ? { hooks: o.hooks } : {}),
  });
  controller.start();
  const service = new RolloutService({
    store,
    policies: o.policies,
    ...(o.audit ? { audit: o.audit } : {}),
    ...(o.rateLimiter ? { rateLimiter: o.rateLimiter } : {}),
  });
  return {
    service,
    controller,
    async stop() {
      sub.unsubscribe();
      await controller.stop();
    },
  };
}
