// The admin HTTP API's routes, put together from the parts the composition root owns: probes
// and metrics, policies and the views over them, the model registry, the CA. Optional parts that
// are absent (no store, no registry, one replica) make their routes answer that they are off.
import type { ReadinessCheck } from '../admin/readiness.js';
import { coreRoutes } from '../admin/routes/core.js';
import { caRoutes } from '../api/ca-routes.js';
import { apiRoutes, callContext } from '../api/http-routes.js';
import { modelRoutes } from '../api/model-routes.js';
import type { ModelService } from '../api/model-service.js';
import type { PolicyService } from '../api/policy-service.js';
import { proxyConfigRoutes } from '../api/proxy-config-routes.js';
import { syncRoutes } from '../api/sync-routes.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Authenticator } from '../auth/authenticator.js';
import { authorize } from '../auth/rbac.js';
import type { ControlPlaneMetrics } from '../metrics/control-plane-metrics.js';
import type { CertificateAuthority } from '../pki/index.js';
import type { PlacementRunner } from '../placement/placement-runner.js';
import { rolloutRoutes } from '../rollout/http-routes.js';
import type { RolloutService } from '../rollout/rollout-service.js';
import type { XdsServer } from '../xds/server/ads-server.js';
import type { ProxyRegistry } from '../xds/status/proxy-registry.js';
import type { listEndpoints } from './endpoint-view.js';
import type { PolicyDirectoryState } from './policy-directory.js';
import type { PublishedRevisions } from './published-revisions.js';
import type { ReplicaState } from './replica-state.js';
import type { SnapshotPublisher } from './snapshot-publisher.js';

export interface AdminRouteParts {
  readonly authn: Authenticator;
  readonly metrics: ControlPlaneMetrics;
  readonly service: PolicyService;
  readonly proxies: ProxyRegistry;
  readonly publisher: SnapshotPublisher;
  readonly readiness: () => ReadinessCheck[];
  readonly endpoints: () => ReturnType<typeof listEndpoints>;
  readonly fileErrors: () => PolicyDirectoryState['errors'];
  readonly placement: PlacementRunner | undefined;
  readonly replica: ReplicaState | undefined;
  readonly audit: AuditLog | undefined;
  readonly models: ModelService | undefined;
  readonly maxModelBytes: number | undefined;
  readonly authority: CertificateAuthority | undefined;
  readonly rollouts: RolloutService | undefined;
  /** The ADS server: where each connected proxy stands, what it is sent. */
  readonly xds: XdsServer;
  readonly published: PublishedRevisions;
}

export function adminRoutes(p: AdminRouteParts) {
  const publicFlags = p.authn.config.public;
  const { placement, replica } = p;
  return [
    ...coreRoutes({
      registry: p.metrics.registry,
      readiness: p.readiness,
      guard: async (req, what) => {
        if (publicFlags[what]) return;
        authorize((await callContext(p.authn, req)).principal, 'snapshots');
      },
    }),
    ...apiRoutes({
      service: p.service,
      authn: p.authn,
      proxies: p.proxies,
      groups: () => p.publisher.groups(),
      models: () => p.publisher.models(),
      endpoints: p.endpoints,
      ...(placement ? { placement: () => placement.view() } : {}),
      fileErrors: () => [...p.fileErrors()],
      ...(replica ? { leader: () => replica.lease.status() } : {}),
      ...(p.audit ? { audit: p.audit } : {}),
    }),
    ...syncRoutes({
      service: p.service,
      authn: p.authn,
      proxies: p.proxies,
      streams: (owned) => p.xds.syncStates(owned),
      published: (namespace, name) => p.published.of(namespace, name),
    }),
    ...proxyConfigRoutes({ authn: p.authn, desiredFor: (node) => p.xds.desiredFor(node) }),
    ...modelRoutes({
      authn: p.authn,
      ...(p.models ? { models: p.models } : {}),
      ...(p.maxModelBytes ? { maxModelBytes: p.maxModelBytes } : {}),
    }),
    ...(p.rollouts ? rolloutRoutes({ service: p.rollouts, authn: p.authn }) : []),
    ...caRoutes({
      authn: p.authn,
      ...(p.authority ? { authority: p.authority } : {}),
      ...(replica ? { lease: replica.lease } : {}),
      ...(replica?.ca ? { reload: () => replica.ca!.reload() } : {}),
    }),
  ];
}
