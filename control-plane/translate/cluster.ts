// CDS: one EDS cluster per model version, endpoints over ADS. The gRPC flavor keeps to what
// proxyless clients accept (xDS rule 7, docs/XDS.md): type EDS, ROUND_ROBIN or RING_HASH with the
// XX_HASH function, outlier detection limited to success rate and failure percentage, TLS
// only through certificate providers. The Envoy flavor adds HTTP/2 upstream, connect timeout,
// circuit breakers and no panic mode; it has no locality-weighted balancing, because its
// weights are on the endpoints (endpoints.ts) and all hosts of a priority compete directly. It
// also has a REST cluster per version: HTTP/1.1 to the pods' HTTP port (docs/TRANSLATION.md).
import { create } from '@bufbuild/protobuf';
import {
  type Cluster,
  Cluster_CommonLbConfigSchema,
  Cluster_DiscoveryType,
  Cluster_LbPolicy,
  Cluster_RingHashLbConfig_HashFunction,
  Cluster_RingHashLbConfigSchema,
} from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { HttpProtocolOptionsSchema } from '../../protos/gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js';
import type { LbPolicy, ModelRoute } from '../policy/types.js';
import { breakersKey, buildCircuitBreakers } from './circuit-breakers.js';
import { newCluster } from './literals.js';
import type { TranslateOptions } from './options.js';
import { buildOutlierDetection, outlierKey } from './outlier.js';
import { adsConfigSource, duration, pack, shared } from './proto.js';
import { orcaBalancing, orcaLoadBalancingPolicy } from './proxyless-lb.js';
import { clusterTls } from './tls.js';
import type { Flavor } from './types.js';
import { type VersionNames, versionNames } from './version-names.js';

export const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const CONNECT_TIMEOUT = '5s';

/** gRPC implements only ROUND_ROBIN and RING_HASH; the others fall back to ROUND_ROBIN there. */
function lbPolicy(policy: LbPolicy, flavor: Flavor): Cluster_LbPolicy {
  switch (policy) {
    case 'RING_HASH':
      return Cluster_LbPolicy.RING_HASH;
    case 'LEAST_REQUEST':
      return flavor === 'envoy' ? Cluster_LbPolicy.LEAST_REQUEST : Cluster_LbPolicy.ROUND_ROBIN;
    case 'RANDOM':
      return flavor === 'envoy' ? Cluster_LbPolicy.RANDOM : Cluster_LbPolicy.ROUND_ROBIN;
    case 'ROUND_ROBIN':
      return Cluster_LbPolicy.ROUND_ROBIN;
  }
}

const EDS = { case: 'type' as const, value: Cluster_DiscoveryType.EDS };
// What Envoy offers a pod's port in ALPN (one list each, not one per model).
const ALPN_H2: readonly string[] = Object.freeze(['h2']);
const ALPN_NONE: readonly string[] = Object.freeze([]);
const ALPN_HTTP1: readonly string[] = Object.freeze(['http/1.1']);
// Annotated rather than cast: Stryker mutates nothing inside an `as` expression.
const HTTP2_OPTIONS: Cluster['typedExtensionProtocolOptions'] = Object.freeze({
  [HTTP_PROTOCOL_OPTIONS]: pack(
    HttpProtocolOptionsSchema,
    create(HttpProtocolOptionsSchema, {
      upstreamProtocolOptions: {
        case: 'explicitHttpConfig',
        value: { protocolConfig: { case: 'http2ProtocolOptions', value: {} } },
      },
    }),
  ),
});
// The pods' HTTP port speaks HTTP/1.1 only (node:http), so the REST clusters say so explicitly.
const HTTP1_OPTIONS: Cluster['typedExtensionProtocolOptions'] = Object.freeze({
  [HTTP_PROTOCOL_OPTIONS]: pack(
    HttpProtocolOptionsSchema,
    create(HttpProtocolOptionsSchema, {
      upstreamProtocolOptions: {
        case: 'explicitHttpConfig',
        value: { protocolConfig: { case: 'httpProtocolOptions', value: {} } },
      },
    }),
  ),
});
const RING_HASH = {
  case: 'ringHashLbConfig' as const,
  value: create(Cluster_RingHashLbConfigSchema, {
    hashFunction: Cluster_RingHashLbConfig_HashFunction.XX_HASH,
  }),
};
const COMMON_LB = create(Cluster_CommonLbConfigSchema, {
  // No panic mode: at Envoy's default of 50%, a pool with half its pods ejected or unhealthy
  // would send traffic to all of them again, failing ones included.
  healthyPanicThreshold: { value: 0 },
});

/** What every cluster of one model shares. */
interface ClusterParts {
  readonly envoy: boolean;
  readonly lb: Cluster_LbPolicy;
  readonly outlierDetection: Cluster['outlierDetection'];
  readonly circuitBreakers: Cluster['circuitBreakers'];
  readonly orca: ReturnType<typeof orcaBalancing>;
}

// A module function, not a closure in buildClusters: a closure is a new function object per
// model (and, run through tsx, a name to set on it).
function oneCluster(
  parts: ClusterParts,
  name: string,
  tls: ReturnType<typeof clusterTls>,
  protocol: Cluster['typedExtensionProtocolOptions'] | undefined,
): Cluster {
  const c = newCluster(name);
  // Envoy's default tag extractor takes a cluster's name up to its first dot
  // (`cluster.<name>.`), so `llama-3.1-8b/v1` would report as cluster `llama-3`.
  if (parts.envoy && name.includes('.')) c.altStatName = name.replaceAll('.', '_');
  c.clusterDiscoveryType = EDS;
  c.edsClusterConfig = {
    $typeName: 'envoy.config.cluster.v3.Cluster.EdsClusterConfig',
    edsConfig: adsConfigSource(),
    serviceName: name,
  };
  c.lbPolicy = parts.lb;
  if (parts.lb === Cluster_LbPolicy.RING_HASH) c.lbConfig = RING_HASH;
  if (parts.orca) c.loadBalancingPolicy = orcaLoadBalancingPolicy(parts.orca);
  if (parts.envoy) {
    c.connectTimeout = duration(CONNECT_TIMEOUT);
    c.commonLbConfig = COMMON_LB;
    // Shared and frozen, like every sub-message models share.
    if (protocol) c.typedExtensionProtocolOptions = protocol;
  }
  if (parts.outlierDetection) c.outlierDetection = parts.outlierDetection;
  if (parts.circuitBreakers) c.circuitBreakers = parts.circuitBreakers;
  if (tls.transportSocket) c.transportSocket = tls.transportSocket;
  c.transportSocketMatches = tls.transportSocketMatches;
  return c;
}

/**
 * The clusters of one model: one per version, in the order the policy declares them, then for
 * Envoy one REST cluster per version (HTTP/1.1 to the pods' HTTP port) with the same balancing,
 * outlier detection, circuit breakers and TLS.
 */
export function buildClusters(
  route: ModelRoute,
  flavor: Flavor,
  options: TranslateOptions,
  names: VersionNames = versionNames(route.spec, flavor),
): Cluster[] {
  const spec = route.spec;
  const lb = lbPolicy(spec.lbPolicy, flavor);
  const outlierDetection = shared('outlier', outlierKey(spec.outlierDetection, flavor), () =>
    buildOutlierDetection(spec.outlierDetection, flavor),
  );
  const circuitBreakers = shared('breakers', breakersKey(spec, flavor), () =>
    buildCircuitBreakers(spec, flavor),
  );
  const envoy = flavor === 'envoy';
  const orca = orcaBalancing(route, flavor);
  const parts: ClusterParts = { envoy, lb, outlierDetection, circuitBreakers, orca };
  const tls = clusterTls(route, flavor, options, spec.http2 ? ALPN_H2 : ALPN_NONE);
  const protocol = spec.http2 ? HTTP2_OPTIONS : undefined;
  const { grpc, rest } = names;
  // Exactly as long as it ends up (pushed into, it would hold 20 slots for 6 clusters).
  const out: Cluster[] = new Array(grpc.length + rest.length);
  for (let i = 0; i < grpc.length; i++) out[i] = oneCluster(parts, grpc[i]!, tls, protocol);
  if (!envoy) return out;
  const restTls = clusterTls(route, flavor, options, ALPN_HTTP1);
  for (let i = 0; i < rest.length; i++)
    out[grpc.length + i] = oneCluster(parts, rest[i]!, restTls, HTTP1_OPTIONS);
  return out;
}
