// The ML platform's services on the control plane's NATS connection: the model registry (with a
// KEK to seal artifacts), the placer and the rollout controller (each acting only on the lease
// holder when there is a lease). Started after the policy service, which rollouts write through.
import type { NatsConnection } from '@nats-io/transport-node';
import type { Registry } from 'prom-client';
import type { KeyEncryptionKey } from '../../kernel/crypto/index.js';
import type { Logger } from '../../kernel/log/index.js';
import type { ModelService } from '../api/model-service.js';
import type { PolicyService } from '../api/policy-service.js';
import type { AuditLog } from '../audit/audit-log.js';
import { type RateLimit, RateLimiter } from '../auth/rate-limit.js';
import type { Lease } from '../lease/index.js';
import type { PlacementRunner } from '../placement/placement-runner.js';
import { ROLLOUT_PRINCIPAL } from '../rollout/controller.js';
import { registryHooks, registryTrigger } from '../rollout/registry-link.js';
import { type Rollouts, startRollouts } from '../rollout/rollouts.js';
import type { PolicyStore } from '../store/policy-store.js';
import type { StoreNames } from '../store/store-names.js';
import { startPlacement } from './placement.js';
import { openModelService } from './registry-state.js';

export interface PlatformServices {
  readonly models: ModelService | undefined;
  readonly placement: PlacementRunner;
  readonly rollouts: Rollouts | undefined;
}

export interface PlatformDeps {
  readonly nc: NatsConnection;
  readonly store: PolicyStore | undefined;
  readonly service: () => PolicyService;
  readonly names: StoreNames;
  readonly replicas: number;
  readonly kek: KeyEncryptionKey | undefined;
  readonly lease: Lease | undefined;
  readonly audit: AuditLog | undefined;
  readonly rateLimit: RateLimit;
  readonly metrics: Registry;
  readonly log: Logger;
}

export async function startPlatformServices(d: PlatformDeps): Promise<PlatformServices> {
  const { nc, names, replicas, audit, lease } = d;
  const models = await openModelService(nc, d.kek, { names, replicas, audit, metrics: d.metrics });
  const placement = await startPlacement(nc, lease, names.prefix, replicas, d.metrics, d.log);
  const rollouts = d.store
    ? await startRollouts({
        nc,
        names,
        replicas,
        policies: d.store,
        service: d.service,
        log: d.log.child('rollout'),
        rateLimiter: new RateLimiter(d.rateLimit),
        ...(lease ? { lease } : {}),
        ...(audit ? { audit } : {}),
        ...(models && d.store
          ? { hooks: registryHooks({ models, policies: d.store, principal: ROLLOUT_PRINCIPAL }) }
          : {}),
      })
    : undefined;
  // A registry version moved to canary starts the rollouts that ask for it (docs/ROLLOUTS.md).
  if (models && rollouts && d.store)
    models.onStaged(
      registryTrigger({
        policies: d.store,
        rollouts: rollouts.service,
        principal: ROLLOUT_PRINCIPAL,
        log: d.log.child('rollout'),
      }),
    );
  return { models, placement, rollouts };
}
