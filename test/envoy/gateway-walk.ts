// Walking a request through the Envoy gateway's served resources the way Envoy resolves it
// (Envoy cannot be installed here): LDS listener -> its HttpConnectionManager's RDS name ->
// the route Envoy picks (test/helpers/envoy-route-match.ts) -> its clusters -> the CDS cluster's
// upstream protocol (typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.
// HttpProtocolOptions"]; HTTP/1.1 without it) -> the EDS assignment's HEALTHY endpoints.
import { fromBinary } from '@bufbuild/protobuf';
import { HTTP_PROTOCOL_OPTIONS } from '../../control-plane/translate/cluster.js';
import { TYPE } from '../../control-plane/xds/resource-types.js';
import type { Cluster } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { HealthStatus } from '../../protos/gen/envoy/config/core/v3/health_check_pb.js';
import type { ClusterLoadAssignment } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import type { Listener } from '../../protos/gen/envoy/config/listener/v3/listener_pb.js';
import type { RouteConfiguration } from '../../protos/gen/envoy/config/route/v3/route_pb.js';
import { HttpConnectionManagerSchema } from '../../protos/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { HttpProtocolOptionsSchema } from '../../protos/gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js';
import { type HttpRequest, routeFor } from '../helpers/envoy-route-match.js';
import type { Follower } from './follower.js';

/** The gateway's route configuration, found the way Envoy does: LDS listener -> HCM -> RDS. */
export async function gatewayRoutes(f: Follower): Promise<RouteConfiguration> {
  const listener = await f.want(TYPE.LDS, [], (ls) =>
    (ls as Listener[]).find((l) => l.name === 'switchyard-gateway'),
  );
  const hcmAny = listener.filterChains[0]!.filters[0]!.configType;
  if (hcmAny.case !== 'typedConfig') throw new Error('gateway listener without a typed HCM');
  const hcm = fromBinary(HttpConnectionManagerSchema, hcmAny.value.value);
  if (hcm.routeSpecifier.case !== 'rds') throw new Error('gateway HCM without RDS');
  const rdsName = hcm.routeSpecifier.value.routeConfigName;
  return f.want(TYPE.RDS, [rdsName], (rs) => (rs as RouteConfiguration[]).find((r) => r.name === rdsName));
}

/** The clusters (all weighted targets) of the route Envoy picks for `req`. */
export async function clustersFor(f: Follower, req: HttpRequest): Promise<string[]> {
  const { route } = routeFor(await gatewayRoutes(f), req);
  if (route?.action.case !== 'route') throw new Error(`no route for ${req.path}`);
  const spec = route.action.value.clusterSpecifier;
  if (spec.case === 'cluster') return [spec.value];
  if (spec.case === 'weightedClusters')
    return spec.value.clusters.filter((c) => (c.weight ?? 0) > 0).map((c) => c.name);
  throw new Error(`cluster specifier ${spec.case} is not followed by this test`);
}

/** The cluster's upstream protocol and its HEALTHY endpoints, as Envoy would dial them. */
export async function upstream(
  f: Follower,
  name: string,
): Promise<{ protocol: string; addresses: string[] }> {
  const cluster = await f.want(TYPE.CDS, [], (cs) => (cs as Cluster[]).find((c) => c.name === name));
  const opts = cluster.typedExtensionProtocolOptions[HTTP_PROTOCOL_OPTIONS];
  // Without the extension Envoy speaks HTTP/1.1 upstream.
  let protocol = 'httpProtocolOptions';
  if (opts) {
    const http = fromBinary(HttpProtocolOptionsSchema, opts.value);
    const p = http.upstreamProtocolOptions;
    if (p.case !== 'explicitHttpConfig') throw new Error(`upstream protocol ${p.case} is not followed`);
    protocol = p.value.protocolConfig.case ?? '';
  }
  const eds = cluster.edsClusterConfig!.serviceName || name;
  const addresses = await f.want(TYPE.EDS, [eds], (as) => {
    const cla = (as as ClusterLoadAssignment[]).find((a) => a.clusterName === eds);
    const out: string[] = [];
    for (const l of cla?.endpoints ?? [])
      for (const e of l.lbEndpoints) {
        if (e.healthStatus !== HealthStatus.HEALTHY || e.hostIdentifier.case !== 'endpoint') continue;
        const a = e.hostIdentifier.value.address!.address;
        if (a.case === 'socketAddress' && a.value.portSpecifier.case === 'portValue')
          out.push(`${a.value.address}:${a.value.portSpecifier.value}`);
      }
    return out.length > 0 ? out : undefined;
  });
  return { protocol, addresses };
}
