// From the ModelRoutes, the catalog and what replicas report to the placer's demand: every
// registry version a route names, its replica bounds, device, allowed regions (the catalog's,
// narrowed by the route's residency) and the scaling signal's count. Pure.
import { durationMs } from '../../kernel/runtime/duration.js';
import type { ModelRoute } from '../policy/index.js';
import { registryRefOf } from '../policy/registry-ref.js';
import type { CatalogView } from './catalog-view.js';
import type { VersionStats } from './fleet.js';
import { desiredReplicas, type ScalingDecision } from './scaling.js';
import { type DemandedVersion, type VersionPlacement, versionKey } from './types.js';

export interface Demand {
  readonly versions: DemandedVersion[];
  readonly scaling: Map<string, ScalingDecision>;
  /** Versions routes name that the catalog does not hold: reported, never placed. */
  readonly missing: VersionPlacement[];
}

interface Wanted {
  model: string;
  version: string;
  min: number;
  max: number;
  device: DemandedVersion['device'];
  residency?: readonly string[];
  objectiveMs?: number;
}

function intersect(a: readonly string[], b: readonly string[] | undefined): string[] {
  if (!b) return [...a];
  if (a.length === 0) return [...b];
  return a.filter((r) => b.includes(r));
}

/** Every registry version the routes name, merged when several routes name the same one. */
export function wantedVersions(routes: readonly ModelRoute[]): Map<string, Wanted> {
  const out = new Map<string, Wanted>();
  for (const r of routes) {
    const objective = r.spec.latencyObjective ? durationMs(r.spec.latencyObjective) : undefined;
    for (const v of r.spec.versions) {
      const ref = registryRefOf(v);
      if (!ref) continue;
      const key = versionKey(ref.name, ref.version);
      const min = v.replicas?.min ?? 1;
      const max = v.replicas?.max ?? min;
      const device = v.device ?? 'any';
      const prev = out.get(key);
      if (!prev) {
        out.set(key, {
          model: ref.name,
          version: ref.version,
          min,
          max,
          device,
          ...(r.spec.residency ? { residency: r.spec.residency.regions } : {}),
          ...(objective !== undefined ? { objectiveMs: objective } : {}),
        });
        continue;
      }
      prev.min = Math.max(prev.min, min);
      prev.max = Math.max(prev.max, max, prev.min);
      if (prev.device === 'any') prev.device = device;
      if (r.spec.residency) prev.residency = intersect(r.spec.residency.regions, prev.residency);
      if (objective !== undefined) prev.objectiveMs = Math.min(prev.objectiveMs ?? objective, objective);
    }
  }
  return out;
}

export function demandOf(
  routes: readonly ModelRoute[],
  catalog: ReadonlyMap<string, CatalogView>,
  stats: ReadonlyMap<string, VersionStats>,
): Demand {
  const versions: DemandedVersion[] = [];
  const scaling = new Map<string, ScalingDecision>();
  const missing: VersionPlacement[] = [];
  for (const [key, w] of wantedVersions(routes)) {
    const s = stats.get(key);
    const decision = desiredReplicas(
      {
        ready: s?.ready ?? 0,
        ...(s && s.withUtilization > 0 ? { utilization: s.utilizationSum / s.withUtilization } : {}),
        queueDepth: s?.queueDepth ?? 0,
        ...(s?.p99Ms !== undefined ? { p99Ms: s.p99Ms } : {}),
        ...(w.objectiveMs !== undefined ? { objectiveMs: w.objectiveMs } : {}),
      },
      w.min,
      w.max,
    );
    scaling.set(key, decision);
    const c = catalog.get(key);
    if (!c) {
      missing.push({
        key,
        model: w.model,
        version: w.version,
        desiredReplicas: decision.desired,
        min: w.min,
        max: w.max,
        assigned: [],
        ready: [],
        unplaced: {
          reason: 'not-in-registry',
          missing: decision.desired,
          message: `${w.model}:${w.version} is not in the model registry`,
          pods: {},
        },
      });
      continue;
    }
    versions.push({
      key,
      model: w.model,
      version: w.version,
      min: w.min,
      max: w.max,
      desired: decision.desired,
      device: w.device,
      regions: intersect(c.regions, w.residency),
      sizeBytes: c.sizeBytes,
    });
  }
  return { versions, scaling, missing };
}
