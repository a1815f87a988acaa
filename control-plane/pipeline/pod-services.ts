// What the control plane runs for its pods over NATS: endpoint discovery (register, heartbeat,
// the table that feeds translation), the access rules each pod enforces, and proxyless mirroring.
// Started together because they share the connection and the routes they follow.
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../../kernel/log/index.js';
import { EndpointDiscovery, latencyObjectives } from '../endpoints/index.js';
import type { ControlPlaneMetrics } from '../metrics/control-plane-metrics.js';
import type { ModelRoute } from '../policy/index.js';
import { plansFromRoutes } from '../rollout/mirror-plan.js';
import { MirrorPublisher } from '../rollout/mirror-publisher.js';
import type { EndpointTable } from '../translate/types.js';
import { AccessPublisher } from './access-publisher.js';
import type { ControlPlaneOptions } from './control-plane-options.js';

export interface PodServices {
  readonly discovery: EndpointDiscovery;
  readonly mirrors: MirrorPublisher;
  readonly access: AccessPublisher;
}

export interface PodServicesDeps {
  readonly nc: NatsConnection;
  readonly routes: () => readonly ModelRoute[];
  /** False until the first snapshot is out: no pod may get an empty rule set by mistake. */
  readonly started: () => boolean;
  /** A new endpoint table (already coalesced: 100 ms quiet, 1 s max). */
  readonly endpoints: (table: EndpointTable) => void;
  readonly metrics: ControlPlaneMetrics;
  readonly discovery: ControlPlaneOptions['discovery'];
  readonly log: Logger;
}

/**
 * The endpoint table is ready (announce + warm-up) when this returns, before the first snapshot,
 * so a restarted control plane publishes what it published before.
 */
export async function startPodServices(d: PodServicesDeps): Promise<PodServices> {
  const access = new AccessPublisher(d.nc, () => (d.started() ? d.routes() : undefined), d.log);
  const discovery = new EndpointDiscovery(
    {
      nc: d.nc,
      log: d.log.child('endpoints'),
      registry: d.metrics.registry,
      objectives: () => latencyObjectives(d.routes()),
      onSaved: (n) => d.metrics.pushesSaved.inc({ source: 'endpoints' }, n),
      publish: d.endpoints,
    },
    d.discovery,
  );
  await discovery.start();
  const mirrors = new MirrorPublisher({
    nc: d.nc,
    statuses: () => discovery.statuses(),
    log: d.log.child('mirror'),
  });
  mirrors.setPlans('routes', plansFromRoutes(d.routes()));
  mirrors.start();
  return { discovery, mirrors, access };
}
