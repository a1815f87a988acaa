// What the translator produces and the checker, the snapshot cache and the golden files read:
// one node group's resources as typed Envoy messages. Both translate/ and validate/ import it
// from here, so neither depends on the other.
import type { Cluster } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { ClusterLoadAssignment } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import type { Listener } from '../../protos/gen/envoy/config/listener/v3/listener_pb.js';
import type { RouteConfiguration } from '../../protos/gen/envoy/config/route/v3/route_pb.js';
import type { Secret } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';

/** Everything one node group receives, as typed messages (encoding happens in the cache). */
export interface ResourceSet {
  readonly listeners: readonly Listener[];
  readonly routes: readonly RouteConfiguration[];
  readonly clusters: readonly Cluster[];
  readonly endpoints: readonly ClusterLoadAssignment[];
  readonly secrets: readonly Secret[];
}
