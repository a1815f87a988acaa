// Starts placement beside discovery when the control plane has NATS: on the lease holder when
// replicas share one (the runner checks the lease), alone otherwise. docs/PLACEMENT.md.
import type { NatsConnection } from '@nats-io/transport-node';
import type { Registry } from 'prom-client';
import type { Logger } from '../../kernel/log/index.js';
import type { Lease } from '../lease/index.js';
import { PlacementRunner } from '../placement/placement-runner.js';

export async function startPlacement(
  nc: NatsConnection,
  lease: Lease | undefined,
  storePrefix: string,
  storeReplicas: number,
  registry: Registry,
  log: Logger,
): Promise<PlacementRunner> {
  const runner = new PlacementRunner({
    nc,
    log: log.child('placement'),
    storePrefix,
    storeReplicas,
    registry,
    ...(lease ? { lease } : {}),
  });
  await runner.start();
  return runner;
}
