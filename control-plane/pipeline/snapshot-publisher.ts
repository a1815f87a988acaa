// Policies + endpoints -> one snapshot per node group (flavor and capability set): translate
// (pure), check every resource against Envoy's validation rules, encode, and publish through the
// cache's consistency check. A group
// whose build fails keeps serving its previous snapshot; the failure is kept for operators.
import { asSwitchyardError, type Issue, ResourceValidationError } from '../errors/index.js';
import type { ControlPlaneMetrics } from '../metrics/control-plane-metrics.js';
import type { ModelRoute } from '../policy/index.js';
import type { Logger } from '../runtime/log.js';
import { forCapabilities, GROUPS, type GroupSpec } from '../translate/capabilities.js';
import { type TranslateOptions, translate } from '../translate/index.js';
import type { EndpointTable } from '../translate/types.js';
import { checkResources } from '../validate/index.js';
import { type EncodedResource, SnapshotEncoder } from '../xds/cache/snapshot.js';
import type { SnapshotCache } from '../xds/cache/snapshot-cache.js';

export interface GroupStatus {
  readonly group: string;
  version?: string;
  publishedAt?: string;
  resources?: Record<string, number>;
  lastError?: { code: string; message: string; issues?: readonly Issue[]; at: string };
}

/** Every node group the publisher keeps a snapshot for. */
export const PUBLISHED_GROUPS: readonly string[] = GROUPS.map((g) => g.group);

export class SnapshotPublisher {
  private encoders = new Map<string, SnapshotEncoder>();
  private status = new Map<string, GroupStatus>();

  constructor(
    private readonly cache: SnapshotCache,
    private readonly metrics: ControlPlaneMetrics,
    private readonly log: Logger,
    private readonly options: Partial<TranslateOptions> = {},
  ) {
    // The groups of one flavor share their encodings: only what differs is encoded again.
    const shared = new Map<string, WeakMap<object, EncodedResource>>();
    for (const g of GROUPS) {
      if (!shared.has(g.flavor)) shared.set(g.flavor, new WeakMap());
      this.encoders.set(g.group, new SnapshotEncoder(shared.get(g.flavor)));
    }
  }

  /** Build and publish every group's snapshot; returns true if all published. */
  publish(routes: readonly ModelRoute[], endpoints: EndpointTable): boolean {
    let ok = true;
    for (const spec of GROUPS) ok = this.publishGroup(spec, routes, endpoints) && ok;
    return ok;
  }

  private publishGroup(spec: GroupSpec, routes: readonly ModelRoute[], endpoints: EndpointTable): boolean {
    const { group, flavor } = spec;
    const st = this.status.get(group) ?? { group };
    this.status.set(group, st);
    const started = performance.now();
    try {
      // Translation is memoized: the groups of one flavor share every unchanged message.
      const set = forCapabilities(translate({ routes, endpoints }, flavor, this.options), spec.capabilities);
      const invalid = checkResources(set);
      if (invalid.length) throw new ResourceValidationError(`${group} snapshot`, invalid);
      const { snapshot, issues } = this.encoders.get(group)!.build(set);
      if (issues.length) throw new ResourceValidationError(`${group} snapshot`, issues);
      const res = this.cache.set(group, snapshot);
      this.metrics.snapshotBuild.observe({ group }, (performance.now() - started) / 1000);
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
        this.log.info('snapshot published', { group, version: res.version, streams: res.watchers });
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
      this.metrics.snapshotsRejected.inc({ group, reason: e.code });
      this.log.error('snapshot not published; the previous one keeps serving', {
        group,
        error: e.message,
      });
      return false;
    }
  }

  /** Resources encoded so far for a group (what sharing between groups saves shows here). */
  encodedCount(group: string): number {
    return this.encoders.get(group)?.encodedCount ?? 0;
  }

  groups(): GroupStatus[] {
    return [...this.status.values()].map((s) => ({ ...s }));
  }
}
