// EDS for the Envoy gateway's REST clusters: the same assignment as a version's gRPC cluster
// (residency, backend preference, localities, weights, health, TLS metadata), over the
// endpoints' HTTP ports. An endpoint without an HTTP port (a static endpoint without
// `httpPort`, a pod that advertises none) is left out, so REST requests never reach a gRPC port.
// The table's endpoint objects are read as they are, each on its HTTP port (kept.ts), not
// copied onto it.
import type { ClusterLoadAssignment } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import type { ModelRoute } from '../policy/types.js';
import { namedLoadAssignment } from './endpoints.js';
import { restClusterName } from './names.js';
import { TranslationCache } from './translation-cache.js';
import type { EndpointInfo, Flavor } from './types.js';

/** The ClusterLoadAssignment of one version's REST cluster. */
export function buildRestLoadAssignment(
  route: ModelRoute,
  version: string,
  endpoints: readonly EndpointInfo[],
  flavor: Flavor,
  cache: TranslationCache = new TranslationCache(),
  name = restClusterName(route.spec.model, version),
  asBytes = true,
): ClusterLoadAssignment {
  return namedLoadAssignment(name, route, endpoints, flavor, cache, asBytes, true);
}
