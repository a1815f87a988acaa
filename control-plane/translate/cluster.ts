// CDS: one EDS cluster per model version, endpoints over ADS. The gRPC flavor keeps to what
// proxyless clients accept (DESIGN.md rule 7): type EDS, ROUND_ROBIN or RING_HASH with the
// XX_HASH function, outlier detection limited to success rate and failure percentage, TLS
// only through certificate providers. The Envoy flavor adds HTTP/2 upstream, locality-weighted
// balancing (Envoy ignores locality weights without it), connect timeout and circuit breakers.
import { create } from '@bufbuild/protobuf';
import {
  type Cluster,
  Cluster_DiscoveryType,
  Cluster_LbPolicy,
  Cluster_RingHashLbConfig_HashFunction,
  ClusterSchema,
} from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { HttpProtocolOptionsSchema } from '../../protos/gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js';
import type { LbPolicy, ModelRoute } from '../policy/types.js';
import { buildCircuitBreakers } from './circuit-breakers.js';
import { clusterName } from './names.js';
import type { TranslateOptions } from './options.js';
import { buildOutlierDetection } from './outlier.js';
import { adsConfigSource, duration, pack } from './proto.js';
import { clusterTls } from './tls.js';
import type { Flavor } from './types.js';

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

function http2Options() {
  return pack(
    HttpProtocolOptionsSchema,
    create(HttpProtocolOptionsSchema, {
      upstreamProtocolOptions: {
        case: 'explicitHttpConfig',
        value: { protocolConfig: { case: 'http2ProtocolOptions', value: {} } },
      },
    }),
  );
}

/** The clusters of one model, one per version, in the order the policy declares them. */
export function buildClusters(route: ModelRoute, flavor: Flavor, options: TranslateOptions): Cluster[] {
  const spec = route.spec;
  const lb = lbPolicy(spec.lbPolicy, flavor);
  const outlierDetection = buildOutlierDetection(spec.outlierDetection, flavor);
  const circuitBreakers = buildCircuitBreakers(spec, flavor);
  const tls = clusterTls(route, flavor, options);
  const envoy = flavor === 'envoy';
  return spec.versions.map((v) => {
    const name = clusterName(spec.model, v.name);
    return create(ClusterSchema, {
      name,
      clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.EDS },
      edsClusterConfig: { edsConfig: adsConfigSource(), serviceName: name },
      lbPolicy: lb,
      ...(lb === Cluster_LbPolicy.RING_HASH
        ? {
            lbConfig: {
              case: 'ringHashLbConfig' as const,
              value: { hashFunction: Cluster_RingHashLbConfig_HashFunction.XX_HASH },
            },
          }
        : {}),
      ...(envoy
        ? {
            connectTimeout: duration(CONNECT_TIMEOUT),
            commonLbConfig: {
              localityConfigSpecifier: { case: 'localityWeightedLbConfig' as const, value: {} },
            },
            ...(spec.http2
              ? { typedExtensionProtocolOptions: { [HTTP_PROTOCOL_OPTIONS]: http2Options() } }
              : {}),
          }
        : {}),
      ...(outlierDetection ? { outlierDetection } : {}),
      ...(circuitBreakers ? { circuitBreakers } : {}),
      ...(tls.transportSocket ? { transportSocket: tls.transportSocket } : {}),
      transportSocketMatches: tls.transportSocketMatches,
    });
  });
}
