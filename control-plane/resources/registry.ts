// A type registry over every Envoy proto the project compiles (protos/gen.mjs ROOTS, with
// their imports): what google.protobuf.Any payloads are unpacked with, by the PGV checker, the
// golden files and config-dump. Add a file here when a translator packs a new extension.
import type { DescFile, Registry } from '@bufbuild/protobuf';
import { createRegistry } from '@bufbuild/protobuf';
import { file_envoy_config_bootstrap_v3_bootstrap } from '../../protos/gen/envoy/config/bootstrap/v3/bootstrap_pb.js';
import { file_envoy_config_cluster_v3_cluster } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { file_envoy_config_endpoint_v3_endpoint } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { file_envoy_config_listener_v3_listener } from '../../protos/gen/envoy/config/listener/v3/listener_pb.js';
import { file_envoy_config_route_v3_route } from '../../protos/gen/envoy/config/route/v3/route_pb.js';
import { file_envoy_config_trace_v3_opentelemetry } from '../../protos/gen/envoy/config/trace/v3/opentelemetry_pb.js';
import { file_envoy_extensions_access_loggers_file_v3_file } from '../../protos/gen/envoy/extensions/access_loggers/file/v3/file_pb.js';
import { file_envoy_extensions_access_loggers_stream_v3_stream } from '../../protos/gen/envoy/extensions/access_loggers/stream/v3/stream_pb.js';
import { file_envoy_extensions_filters_http_ext_authz_v3_ext_authz } from '../../protos/gen/envoy/extensions/filters/http/ext_authz/v3/ext_authz_pb.js';
import { file_envoy_extensions_filters_http_fault_v3_fault } from '../../protos/gen/envoy/extensions/filters/http/fault/v3/fault_pb.js';
import { file_envoy_extensions_filters_http_jwt_authn_v3_config } from '../../protos/gen/envoy/extensions/filters/http/jwt_authn/v3/config_pb.js';
import { file_envoy_extensions_filters_http_local_ratelimit_v3_local_rate_limit } from '../../protos/gen/envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit_pb.js';
import { file_envoy_extensions_filters_http_rbac_v3_rbac } from '../../protos/gen/envoy/extensions/filters/http/rbac/v3/rbac_pb.js';
import { file_envoy_extensions_filters_http_router_v3_router } from '../../protos/gen/envoy/extensions/filters/http/router/v3/router_pb.js';
import { file_envoy_extensions_filters_network_http_connection_manager_v3_http_connection_manager } from '../../protos/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { file_envoy_extensions_load_balancing_policies_client_side_weighted_round_robin_v3_client_side_weighted_round_robin } from '../../protos/gen/envoy/extensions/load_balancing_policies/client_side_weighted_round_robin/v3/client_side_weighted_round_robin_pb.js';
import { file_envoy_extensions_load_balancing_policies_least_request_v3_least_request } from '../../protos/gen/envoy/extensions/load_balancing_policies/least_request/v3/least_request_pb.js';
import { file_envoy_extensions_load_balancing_policies_pick_first_v3_pick_first } from '../../protos/gen/envoy/extensions/load_balancing_policies/pick_first/v3/pick_first_pb.js';
import { file_envoy_extensions_load_balancing_policies_ring_hash_v3_ring_hash } from '../../protos/gen/envoy/extensions/load_balancing_policies/ring_hash/v3/ring_hash_pb.js';
import { file_envoy_extensions_load_balancing_policies_round_robin_v3_round_robin } from '../../protos/gen/envoy/extensions/load_balancing_policies/round_robin/v3/round_robin_pb.js';
import { file_envoy_extensions_load_balancing_policies_wrr_locality_v3_wrr_locality } from '../../protos/gen/envoy/extensions/load_balancing_policies/wrr_locality/v3/wrr_locality_pb.js';
import { file_envoy_extensions_resource_monitors_downstream_connections_v3_downstream_connections } from '../../protos/gen/envoy/extensions/resource_monitors/downstream_connections/v3/downstream_connections_pb.js';
import { file_envoy_extensions_resource_monitors_fixed_heap_v3_fixed_heap } from '../../protos/gen/envoy/extensions/resource_monitors/fixed_heap/v3/fixed_heap_pb.js';
import { file_envoy_extensions_transport_sockets_tls_v3_secret } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import { file_envoy_extensions_transport_sockets_tls_v3_tls } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { file_envoy_extensions_upstreams_http_v3_http_protocol_options } from '../../protos/gen/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js';
import { file_envoy_type_matcher_v3_http_inputs } from '../../protos/gen/envoy/type/matcher/v3/http_inputs_pb.js';
import { file_xds_type_v3_typed_struct } from '../../protos/gen/xds/type/v3/typed_struct_pb.js';

const ROOT_FILES: readonly DescFile[] = [
  file_envoy_config_listener_v3_listener,
  file_envoy_config_route_v3_route,
  file_envoy_config_cluster_v3_cluster,
  file_envoy_config_endpoint_v3_endpoint,
  file_envoy_config_bootstrap_v3_bootstrap,
  file_envoy_extensions_transport_sockets_tls_v3_secret,
  file_envoy_extensions_transport_sockets_tls_v3_tls,
  file_envoy_extensions_filters_network_http_connection_manager_v3_http_connection_manager,
  file_envoy_extensions_filters_http_router_v3_router,
  file_envoy_extensions_filters_http_fault_v3_fault,
  file_envoy_extensions_filters_http_rbac_v3_rbac,
  file_envoy_extensions_access_loggers_file_v3_file,
  file_envoy_extensions_access_loggers_stream_v3_stream,
  file_envoy_extensions_upstreams_http_v3_http_protocol_options,
  file_envoy_extensions_load_balancing_policies_round_robin_v3_round_robin,
  file_envoy_extensions_load_balancing_policies_ring_hash_v3_ring_hash,
  file_envoy_extensions_load_balancing_policies_wrr_locality_v3_wrr_locality,
  file_envoy_extensions_load_balancing_policies_client_side_weighted_round_robin_v3_client_side_weighted_round_robin,
  file_envoy_extensions_load_balancing_policies_pick_first_v3_pick_first,
  file_envoy_extensions_load_balancing_policies_least_request_v3_least_request,
  file_envoy_extensions_resource_monitors_downstream_connections_v3_downstream_connections,
  file_envoy_extensions_resource_monitors_fixed_heap_v3_fixed_heap,
  file_envoy_type_matcher_v3_http_inputs,
  file_envoy_extensions_filters_http_jwt_authn_v3_config,
  file_envoy_extensions_filters_http_local_ratelimit_v3_local_rate_limit,
  file_envoy_extensions_filters_http_ext_authz_v3_ext_authz,
  file_envoy_config_trace_v3_opentelemetry,
  file_xds_type_v3_typed_struct,
];

function withDependencies(roots: readonly DescFile[]): DescFile[] {
  const seen = new Map<string, DescFile>();
  const visit = (f: DescFile) => {
    if (seen.has(f.name)) return;
    seen.set(f.name, f);
    for (const d of f.dependencies) visit(d);
  };
  for (const f of roots) visit(f);
  return [...seen.values()];
}

/** Every message, enum and extension reachable from the compiled Envoy roots. */
export const XDS_REGISTRY: Registry = createRegistry(...withDependencies(ROOT_FILES));
