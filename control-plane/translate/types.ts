// The contract between the policy pipeline, the translator and the snapshot cache. Pure types:
// translate/ and validate/ never import I/O, clocks, NATS or gRPC.
import type { Cluster } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { ClusterLoadAssignment } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import type { Listener } from '../../protos/gen/envoy/config/listener/v3/listener_pb.js';
import type { RouteConfiguration } from '../../protos/gen/envoy/config/route/v3/route_pb.js';
import type { Secret } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';

/** Which client a node is: Envoy, or a proxyless gRPC client (stricter: xDS rule 7, docs/XDS.md). */
export type Flavor = 'envoy' | 'grpc';

/** Everything one node group receives, as typed messages (encoding happens in the cache). */
export interface ResourceSet {
  readonly listeners: readonly Listener[];
  readonly routes: readonly RouteConfiguration[];
  readonly clusters: readonly Cluster[];
  readonly endpoints: readonly ClusterLoadAssignment[];
  readonly secrets: readonly Secret[];
}

export type EndpointHealth = 'HEALTHY' | 'UNHEALTHY' | 'DRAINING' | 'UNKNOWN';

/** One serving address for a model version, static (from the policy) or discovered (NATS). */
export interface EndpointInfo {
  readonly address: string;
  /** KServe v2 gRPC. */
  readonly port: number;
  /**
   * KServe v2 HTTP/REST, the target of the Envoy gateway's REST clusters; absent: the endpoint
   * is left out of them (docs/TRANSLATION.md, "REST clusters").
   */
  readonly httpPort?: number;
  readonly region?: string;
  readonly zone?: string;
  readonly health: EndpointHealth;
  /** Relative load-balancing weight, 1..; absent means equal. */
  readonly weight?: number;
  readonly backend?: 'gpu' | 'cpu';
  /** The pod accepts mTLS; PERMISSIVE policies use TLS to it (Envoy flavor). */
  readonly tls?: boolean;
  /** Stable identity of the pod, when discovered. */
  readonly podId?: string;
  /**
   * A CPU endpoint that takes primary traffic now: under backend preference gpu-overflow-cpu
   * the GPU endpoints crossed their utilization threshold (control-plane/endpoints/model/overflow.ts).
   */
  readonly overflow?: boolean;
}

/** Discovered endpoints keyed by `${model}/${version}`; static endpoints in a policy win. */
export type EndpointTable = ReadonlyMap<string, readonly EndpointInfo[]>;

export function endpointKey(model: string, version: string): string {
  return `${model}/${version}`;
}
