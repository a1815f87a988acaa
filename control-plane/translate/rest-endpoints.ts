// EDS for the Envoy gateway's REST clusters: the same assignment as a version's gRPC cluster
// (residency, backend preference, localities, weights, health, TLS metadata), over the
// endpoints' HTTP ports. An endpoint without an HTTP port (a static endpoint without
// `httpPort`, a pod that advertises none) is left out, so REST requests never reach a gRPC port.
// The table's endpoint objects are read as they are, each on its HTTP port (kept.ts), not
// copied onto it. Where a version's endpoints all have an HTTP port and sort alike on both, the
// REST assignment is the gRPC one with the name and ports replaced (envoyAssignments): the
// filtering, the sort and the writing are done once for the two.
import type { ClusterLoadAssignment } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import type { ModelRoute } from '../policy/types.js';
import { encodedAssignment, encodingOf } from '../resources/index.js';
import { withPorts } from './encode/assignment-bytes.js';
import { assignmentOf, emptyAssignment, keep, namedLoadAssignment } from './endpoints.js';
import { httpPortsInOrder } from './kept.js';
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

// Where each endpoint's port sits in the gRPC assignment's bytes; reused, as the writer's own
// scratch arrays are.
let portAt = new Int32Array(64);

/**
 * A version's two Envoy assignments at once: its gRPC cluster's (`name`) and its REST
 * cluster's (`restName`), each equal to what namedLoadAssignment makes of `endpoints` alone.
 */
export function envoyAssignments(
  name: string,
  restName: string,
  route: ModelRoute,
  endpoints: readonly EndpointInfo[],
  cache: TranslationCache,
): [grpc: ClusterLoadAssignment, rest: ClusterLoadAssignment] {
  const kept = keep(route, endpoints, 'envoy', false);
  // The REST cluster keeps a subset of the same endpoints: none here, none there.
  if (!kept) return [emptyAssignment(name), emptyAssignment(restName)];
  const ports = httpPortsInOrder(kept);
  if (!ports)
    return [
      assignmentOf(name, route, kept, 'envoy', cache, true),
      namedLoadAssignment(restName, route, endpoints, 'envoy', cache, true, true),
    ];
  if (portAt.length < ports.length) portAt = new Int32Array(Math.max(ports.length, portAt.length * 2));
  const grpc = assignmentOf(name, route, kept, 'envoy', cache, true, portAt);
  const bytes = encodingOf(grpc);
  const rest = bytes && withPorts(bytes, name, restName, portAt, kept.port, ports);
  if (rest) return [grpc, encodedAssignment(restName, rest)];
  return [grpc, assignmentOf(restName, route, { ...kept, port: ports }, 'envoy', cache, true)];
}
