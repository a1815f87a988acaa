// The endpoints each model version routes to, for `GET /api/v1/endpoints` and
// `switchyard endpoints`: static ones from the policies, discovered ones from the endpoint table
// with their state, utilization, queue, p99 and current weight (UNHEALTHY ones included: they
// are out of EDS, but operators need to see them).
import type { EndpointStatus } from '../endpoints/table.js';
import type { ModelRoute } from '../policy/index.js';
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
}

export function listEndpoints(
  routes: readonly ModelRoute[],
  table: EndpointTable,
  statuses?: ReadonlyMap<string, readonly EndpointStatus[]>,
): EndpointView[] {
  const out: EndpointView[] = [];
  for (const r of routes)
    for (const v of r.spec.versions) {
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
          });
        continue;
      }
      const key = endpointKey(r.spec.model, v.name);
      const detailed = statuses?.get(key);
      if (detailed) {
        for (const e of detailed) out.push({ ...e, source: 'discovered' });
      } else {
        for (const e of table.get(key) ?? [])
          out.push({ model: r.spec.model, version: v.name, source: 'discovered', ...e });
      }
    }
  return out;
}
