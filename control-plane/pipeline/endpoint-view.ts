// The endpoints each model version routes to, for `GET /api/v1/endpoints` and
// `switchyard endpoints`: static ones from the policies, discovered ones from the endpoint table
// with their state, utilization, queue, p99 and current weight (UNHEALTHY ones included: they
// are out of EDS, but operators need to see them).
import type { EndpointStatus } from '../endpoints/index.js';
import type { ModelRoute } from '../policy/index.js';
import { registryRefOf } from '../policy/registry-ref.js';
import { type EndpointInfo, type EndpointTable, endpointKey } from '../translate/types.js';

export interface EndpointView extends EndpointInfo {
  readonly model: string;
  readonly version: string;
  readonly source: 'static' | 'discovered';
  /** HEALTHY, UNHEALTHY, DRAINING; " (frozen)" while NATS is down. */
  readonly state?: string;
  /** 0..1: GPU utilization for GPU endpoints, else CPU. */
  readonly utilization?: number;
  readonly queue?: number;
  readonly p99Ms?: number;
  /** The weight in EDS now (0: not in EDS). */
  readonly effectiveWeight?: number;
  readonly lastSeenAgoMs?: number;
  /** Counters of the pod's latest heartbeat interval (docs/ENDPOINTS.md, "Interval figures"). */
  readonly interval?: EndpointStatus['interval'];
  /** The version's share of the model's traffic in the policy (%), apart from `weight`, which
   * balances between the version's endpoints. */
  readonly split?: number;
  /** A version with no endpoint at all: one row with no address, so operators see the hole. */
  readonly empty?: true;
}

export function listEndpoints(
  routes: readonly ModelRoute[],
  table: EndpointTable,
  statuses?: ReadonlyMap<string, readonly EndpointStatus[]>,
): EndpointView[] {
  const out: EndpointView[] = [];
  for (const r of routes)
    for (const v of r.spec.versions) {
      const split = v.weight;
      const before = out.length;
      if (v.endpoints) {
        for (const e of v.endpoints)
          out.push({
            model: r.spec.model,
            version: v.name,
            source: 'static',
            health: 'HEALTHY',
            state: 'HEALTHY',
            effectiveWeight: e.weight ?? 1,
            ...e,
            split,
          });
      } else {
        // A registry version's pods report the registry's NAME:VERSION, as EDS reads them
        // (translate/endpoints.ts); the row still names the policy's version.
        const ref = registryRefOf(v);
        const key = ref ? endpointKey(ref.name, ref.version) : endpointKey(r.spec.model, v.name);
        const named = { model: r.spec.model, version: v.name };
        const detailed = statuses?.get(key);
        if (detailed) {
          for (const e of detailed) out.push({ ...e, ...named, source: 'discovered', split });
        } else {
          for (const e of table.get(key) ?? []) out.push({ ...named, source: 'discovered', ...e, split });
        }
      }
      if (out.length === before)
        out.push({
          model: r.spec.model,
          version: v.name,
          source: v.endpoints ? 'static' : 'discovered',
          address: '',
          port: 0,
          health: 'UNHEALTHY',
          state: 'NO ENDPOINTS',
          effectiveWeight: 0,
          split,
          empty: true,
        });
    }
  return out;
}
