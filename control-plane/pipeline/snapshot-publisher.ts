// Policies + endpoints -> per-flavor snapshots: translate (pure), check every resource against
// Envoy's validation rules, encode, and publish through the cache's consistency check. A group
// whose build fails keeps serving its previous snapshot; the failure is kept for operators.
import { asSwitchyardError, type Issue, ResourceValidationError } from '../errors/index.js';
import type { ControlPlaneMetrics } from '../metrics/control-plane-metrics.js';
import type { ModelRoute } from '../policy/index.js';
import type { Logger } from '../runtime/log.js';
import { type TranslateOptions, translate } from '../translate/index.js';
import type { EndpointTable, Flavor } from '../translate/types.js';
import { checkResources } from '../validate/index.js';
import { SnapshotEncoder } from '../xds/cache/snapshot.js';
import type { SnapshotCache } from '../xds/cache/snapshot-cache.js';

export interface GroupStatus {
  readonly group: string;
  version?: string;
  publishedAt?: string;
  resources?: Record<string, number>;
  lastError?: { code: string; message: string; issues?: readonly Issue[]; at: string };
}

export const FLAVORS: readonly Flavor[] = ['envoy', 'grpc'];

export class SnapshotPublisher {
  private encoders = new Map<Flavor, SnapshotEncoder>();
  private status = new Map<string, GroupStatus>();

  constructor(
    private readonly cache: SnapshotCache,
    private readonly metrics: ControlPlaneMetrics,
    private readonly log: Logger,
    private readonly options: Partial<TranslateOptions> = {},
  ) {
    for (const f of FLAVORS) this.encoders.set(f, new SnapshotEncoder());
  }

  /** Build and publish every flavor's snapshot; returns true if all published. */
  publish(routes: readonly ModelRoute[], endpoints: EndpointTable): boolean {
    let ok = true;
    for (const flavor of FLAVORS) ok = this.publishGroup(flavor, routes, endpoints) && ok;
    return ok;
  }

  private publishGroup(flavor: Flavor, routes: readonly ModelRoute[], endpoints: EndpointTable): boolean {
    const st = this.status.get(flavor) ?? { group: flavor };
    this.status.set(flavor, st);
    const started = performance.now();
    try {
      const set = translate({ routes, endpoints }, flavor, this.options);
      const invalid = checkResources(set);
      if (invalid.length) throw new ResourceValidationError(`${flavor} snapshot`, invalid);
      const { snapshot, issues } = this.encoders.get(flavor)!.build(set);
      if (issues.length) throw new ResourceValidationError(`${flavor} snapshot`, issues);
      const res = this.cache.set(flavor, snapshot);
      this.metrics.snapshotBuild.observe({ group: flavor }, (performance.now() - started) / 1000);
      st.version = res.version;
      st.publishedAt = new Date().toISOString();
      st.resources = {
        listeners: set.listeners.length,
        routes: set.routes.length,
        clusters: set.clusters.length,
        endpoints: set.endpoints.length,
        secrets: set.secrets.length,
      };
      delete st.lastError;
      if (res.changed)
        this.log.info('snapshot published', { group: flavor, version: res.version, streams: res.watchers });
      return true;
    } catch (err) {
      const e = asSwitchyardError(err);
      const issues = (e as { issues?: readonly Issue[] }).issues;
      st.lastError = {
        code: e.code,
        message: e.message,
        ...(issues ? { issues } : {}),
        at: new Date().toISOString(),
      };
      this.metrics.snapshotsRejected.inc({ group: flavor, reason: e.code });
      this.log.error('snapshot not published; the previous one keeps serving', {
        group: flavor,
        error: e.message,
      });
      return false;
    }
  }

  groups(): GroupStatus[] {
    return [...this.status.values()].map((s) => ({ ...s }));
  }
}
