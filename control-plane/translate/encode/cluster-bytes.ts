// A Cluster's bytes as toBinary writes them, for the snapshot cache (xds/cache/snapshot.ts).
// A cluster is a handful of per-cluster fields (its name, its EDS service name) around
// sub-messages that a model's clusters or every model share: outlier detection, circuit
// breakers, the common LB config, the connect timeout, the HTTP protocol options, the model's
// upstream TLS socket. toBinary walks all of it reflectively for each of the 60,000 clusters of
// a 10,000-model Envoy build; the memo encoder (memo-encoder.ts) writes the per-cluster
// messages field by field and each shared sub-message from bytes encoded once
// (docs/TRANSLATION.md, "Clusters encoded by the memo encoder").
import type { Cluster } from '../../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterSchema } from '../../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { MemoEncoder } from './memo-encoder.js';

/**
 * The messages written field by field: the cluster, its EDS config (a service name per
 * cluster), and the transport socket with its Any (one per model and ALPN list, whose packed
 * TLS context is already bytes: walking it is a copy, memoizing it a WeakMap entry per model).
 * Every other message is memoized by identity.
 */
export const PER_CLUSTER_TYPES: ReadonlySet<string> = new Set([
  'envoy.config.cluster.v3.Cluster',
  'envoy.config.cluster.v3.Cluster.EdsClusterConfig',
  'envoy.config.core.v3.TransportSocket',
  'google.protobuf.Any',
]);

const encoder = new MemoEncoder(PER_CLUSTER_TYPES);

/** toBinary(ClusterSchema, cluster): the same bytes, or toBinary's error. */
export function clusterBytes(cluster: Cluster): Uint8Array {
  return encoder.encode(ClusterSchema, cluster);
}

/** How many clusters were left to toBinary whole (tests: the translator's clusters never are). */
export function clusterFallbacks(): number {
  return encoder.fallbacks;
}
