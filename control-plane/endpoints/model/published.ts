// A version's endpoints as they go to the translator: address, health, weight, backend and
// overflow mark. Pure; reads the table's records.
import type { EndpointInfo } from '../../translate/types.js';
import type { PodRecord, PodRecords, VersionEntry } from './records.js';
import type { TableOptions } from './table-options.js';

/** The weight in EDS; undefined in equal mode. An endpoint not tuned yet has full weight. */
export function weightOf(rec: PodRecord, key: string, opts: TableOptions): number | undefined {
  if (opts.weights !== 'adaptive') return undefined;
  return rec.tuned.get(key)?.weight ?? opts.tuner.maxWeight;
}

// An own HTTP port only where the pod serves REST at all (it then reports one per version too).
const httpPortOf = (port: number | undefined) => (port !== undefined ? { httpPort: port } : {});

export function endpointOf(rec: PodRecord, key: string, v: VersionEntry, opts: TableOptions): EndpointInfo {
  const { info } = rec;
  const served = info.versions.get(key)!;
  const backend = served.backend;
  const weight = weightOf(rec, key, opts);
  return {
    address: info.address,
    // A managed version's own port reaches that version even when the pod holds a newer one.
    port: served.port ?? info.port,
    ...httpPortOf(served.httpPort ?? info.httpPort),
    ...(info.region ? { region: info.region } : {}),
    ...(info.zone ? { zone: info.zone } : {}),
    health: rec.health,
    ...(weight !== undefined ? { weight } : {}),
    backend,
    podId: info.podId,
    ...(info.tls ? { tls: true } : {}),
    ...(backend === 'cpu' && v.overflow.active ? { overflow: true } : {}),
  };
}

/** The version's endpoints in EDS, by pod id. */
export function publishedEndpoints(
  key: string,
  v: VersionEntry,
  pods: PodRecords,
  opts: TableOptions,
): EndpointInfo[] {
  const out: EndpointInfo[] = [];
  for (const podId of [...v.pods].sort()) {
    const rec = pods.get(podId)!;
    // Like Istio, unhealthy endpoints are not sent at all: Envoy's panic mode would
    // otherwise route to them once too few hosts are healthy.
    if (rec.health === 'UNHEALTHY') continue;
    out.push(endpointOf(rec, key, v, opts));
  }
  return out;
}
