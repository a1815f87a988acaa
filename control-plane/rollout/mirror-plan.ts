// Which pods mirror what, for proxyless gRPC (docs/ROLLOUTS.md, "Mirroring"): every HEALTHY pod
// of a plan's stable version gets a MirrorConfig naming the candidate's HEALTHY pods; a pod that
// mirrored before and no longer should gets an empty one (stop). Pure: the runner
// (mirror-publisher.ts) supplies the endpoint table's view and publishes.
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { MirrorConfigSchema } from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
import type { EndpointStatus } from '../endpoints/index.js';
import type { ModelRoute } from '../policy/index.js';
import { endpointKey } from '../translate/types.js';

export interface MirrorPlan {
  readonly model: string;
  /** The version whose pods forward copies (the stable one). */
  readonly fromVersion: string;
  /** The candidate that receives them. */
  readonly toVersion: string;
  /** 0 < percent <= 100. */
  readonly percent: number;
  /** Regression outputs agree within this mean absolute difference. */
  readonly tolerance: number;
}

/** Mean absolute difference under which regression outputs agree, when a plan sets none. */
export const DEFAULT_MIRROR_TOLERANCE = 1e-4;

export type MirrorConfigInit = MessageInitShape<typeof MirrorConfigSchema>;

/**
 * The plans a route's `spec.mirror` implies: every version with traffic (weight > 0) other
 * than the mirror target copies `percent` of its requests to it, which is what Envoy's
 * request_mirror_policies does for the whole route.
 */
export function plansFromRoutes(
  routes: readonly ModelRoute[],
  tolerance = DEFAULT_MIRROR_TOLERANCE,
): MirrorPlan[] {
  const out: MirrorPlan[] = [];
  for (const r of routes) {
    const m = r.spec.mirror;
    if (!m) continue;
    for (const v of r.spec.versions)
      if (v.name !== m.version && v.weight > 0)
        out.push({
          model: r.spec.model,
          fromVersion: v.name,
          toVersion: m.version,
          percent: m.percent,
          tolerance,
        });
  }
  return out;
}

function healthy(statuses: ReadonlyMap<string, readonly EndpointStatus[]>, model: string, version: string) {
  return (statuses.get(endpointKey(model, version)) ?? []).filter((e) => e.state === 'HEALTHY');
}

/**
 * The MirrorConfig for each pod, by pod id: the plans' stable pods get theirs, and each pod of
 * `previously` that has none now gets a stop. A stable pod serving several planned versions
 * keeps the first plan (one mirror per pod).
 */
export function mirrorConfigs(
  plans: readonly MirrorPlan[],
  statuses: ReadonlyMap<string, readonly EndpointStatus[]>,
  previously: Iterable<string> = [],
): Map<string, MirrorConfigInit> {
  const out = new Map<string, MirrorConfigInit>();
  for (const p of plans) {
    const targets = healthy(statuses, p.model, p.toVersion)
      .map((e) => `${e.address}:${e.port}`)
      .sort();
    if (targets.length === 0) continue;
    for (const e of healthy(statuses, p.model, p.fromVersion)) {
      if (!e.podId || out.has(e.podId)) continue;
      out.set(e.podId, {
        model: p.model,
        fromVersion: p.fromVersion,
        toVersion: p.toVersion,
        percent: p.percent,
        targets,
        tolerance: p.tolerance,
      });
    }
  }
  for (const podId of previously) if (!out.has(podId)) out.set(podId, {});
  return out;
}
