// The endpoint table as operators see it (`GET /api/v1/endpoints`): every endpoint, UNHEALTHY
// ones included, with its figures and the weight it has in EDS now. Pure.
import type { EndpointInfo } from '../../translate/types.js';
import { endpointOf, weightOf } from './published.js';
import { limitingUtilization, type PodRecords, type VersionEntry } from './records.js';
import type { IntervalCounts } from './signals.js';
import type { TableOptions } from './table-options.js';
import type { Utilization } from './utilization.js';

export interface EndpointStatus extends EndpointInfo {
  readonly model: string;
  readonly version: string;
  /** HEALTHY, UNHEALTHY or DRAINING; with " (frozen)" while NATS is down. */
  readonly state: string;
  /** GPU utilization for GPU endpoints, else CPU. */
  readonly utilization?: Utilization;
  readonly queue?: number;
  readonly p99Ms?: number;
  /** Counters of the pod's latest heartbeat interval (docs/ENDPOINTS.md, "Interval figures"). */
  readonly interval?: IntervalCounts;
  /** The weight in EDS now. */
  readonly effectiveWeight?: number;
  readonly lastSeenAgoMs: number;
}

export function endpointStatuses(
  versions: ReadonlyMap<string, VersionEntry>,
  pods: PodRecords,
  opts: TableOptions,
  frozen: boolean,
  nowMs: number,
): Map<string, EndpointStatus[]> {
  const out = new Map<string, EndpointStatus[]>();
  const suffix = frozen ? ' (frozen)' : '';
  for (const [key, v] of versions) {
    const rows: EndpointStatus[] = [];
    for (const podId of [...v.pods].sort()) {
      const rec = pods.get(podId)!;
      const served = rec.info.versions.get(key)!;
      const load = rec.hb?.loads.get(key);
      const utilization = rec.hb ? limitingUtilization(rec.hb, served.backend) : undefined;
      const weight = weightOf(rec, key, opts);
      rows.push({
        ...endpointOf(rec, key, v, opts),
        model: served.model,
        version: served.version,
        state: `${rec.health}${suffix}`,
        ...(utilization !== undefined ? { utilization } : {}),
        ...(load ? { queue: load.queueDepth, p99Ms: load.p99Ms } : {}),
        ...(load?.interval ? { interval: load.interval } : {}),
        effectiveWeight: rec.health === 'UNHEALTHY' ? 0 : (weight ?? 1),
        lastSeenAgoMs: Math.max(0, nowMs - rec.lastSeenMs),
      });
    }
    if (rows.length) out.set(key, rows);
  }
  return out;
}
