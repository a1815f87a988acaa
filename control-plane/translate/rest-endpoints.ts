// EDS for the Envoy gateway's REST clusters: the same assignment as a version's gRPC cluster
// (residency, backend preference, localities, weights, health, TLS metadata), built over the
// endpoints' HTTP ports. An endpoint without an HTTP port (a static endpoint without
// `httpPort`, a pod that advertises none) is left out, so REST requests never reach a gRPC port.
import type { ClusterLoadAssignment } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import type { ModelRoute } from '../policy/types.js';
import { NO_ENDPOINTS, namedLoadAssignment } from './endpoints.js';
import { restClusterName } from './names.js';
import { TranslationCache } from './translation-cache.js';
import type { EndpointInfo, Flavor } from './types.js';

const restLists = new WeakMap<readonly EndpointInfo[], readonly EndpointInfo[]>();

/** The endpoints on their HTTP ports, memoized on the list's identity like the assignments. */
export function restEndpoints(list: readonly EndpointInfo[]): readonly EndpointInfo[] {
  // Most endpoints advertise no HTTP port: no copy and no memo entry for a list with none.
  if (!list.some((e) => e.httpPort !== undefined)) return NO_ENDPOINTS;
  let out = restLists.get(list);
  if (!out) {
    out = list.flatMap((e) => (e.httpPort === undefined ? [] : [{ ...e, port: e.httpPort }]));
    restLists.set(list, out);
  }
  return out;
}

/** The ClusterLoadAssignment of one version's REST cluster. */
export function buildRestLoadAssignment(
  route: ModelRoute,
  version: string,
  endpoints: readonly EndpointInfo[],
  flavor: Flavor,
  cache: TranslationCache = new TranslationCache(),
  name = restClusterName(route.spec.model, version),
): ClusterLoadAssignment {
  return namedLoadAssignment(name, route, restEndpoints(endpoints), flavor, cache);
}
