import { create, type DescMessage } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { type Cluster_LbPolicy, ClusterSchema } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { ListenerSchema } from '../../protos/gen/envoy/config/listener/v3/listener_pb.js';
import { RouteConfigurationSchema } from '../../protos/gen/envoy/config/route/v3/route_pb.js';
import { HttpConnectionManagerSchema } from '../../protos/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { SecretSchema } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import { XDS_REGISTRY } from '../resources/index.js';
import { checkMessage, checkResources } from './index.js';
import { fieldCheck } from './pgv-rules.js';

describe('PGV checker', () => {
  it('checks string lengths, numeric bounds and duration bounds', () => {
    const c = create(ClusterSchema, {
      name: '',
      outlierDetection: { maxEjectionPercent: 120 },
      connectTimeout: { seconds: -1n },
    });
    expect(checkMessage(ClusterSchema, c)).toEqual([
      { path: 'name', message: 'must be at least 1 character(s) long' },
      { path: 'connect_timeout', message: 'must be > 0s' },
      { path: 'outlier_detection.max_ejection_percent', message: 'must be <= 100' },
    ]);
  });

  it('checks enums (defined_only), required oneofs, repeated sizes and unset oneof members', () => {
    const rc = create(RouteConfigurationSchema, {
      virtualHosts: [
        {
          name: 'vh',
          domains: [],
          routes: [
            {
              match: {},
              action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: '' } } },
            },
          ],
        },
      ],
    });
    expect(checkMessage(RouteConfigurationSchema, rc)).toEqual([
      { path: 'virtual_hosts[0].domains', message: 'must have at least 1 item(s)' },
      {
        path: 'virtual_hosts[0].routes[0].match.path_specifier',
        message:
          'one of prefix, path, safe_regex, connect_matcher, path_separated_prefix, path_match_policy is required',
      },
      { path: 'virtual_hosts[0].routes[0].route.cluster', message: 'must be at least 1 character(s) long' },
    ]);
    const c = create(ClusterSchema, { name: 'c', lbPolicy: 42 as Cluster_LbPolicy });
    expect(checkMessage(ClusterSchema, c)).toContainEqual({
      path: 'lb_policy',
      message: '42 is not a defined LbPolicy value',
    });
  });

  it('applies wrapper rules to the unwrapped value, and only when set', () => {
    const bad = create(ClusterLoadAssignmentSchema, {
      clusterName: 'c',
      endpoints: [{ loadBalancingWeight: 0, lbEndpoints: [{ loadBalancingWeight: 0 }] }],
    });
    expect(checkMessage(ClusterLoadAssignmentSchema, bad)).toEqual([
      { path: 'endpoints[0].lb_endpoints[0].load_balancing_weight', message: 'must be >= 1' },
      { path: 'endpoints[0].load_balancing_weight', message: 'must be >= 1' },
    ]);
    const unset = create(ClusterLoadAssignmentSchema, {
      clusterName: 'c',
      endpoints: [{ lbEndpoints: [{}] }],
    });
    expect(checkMessage(ClusterLoadAssignmentSchema, unset)).toEqual([]);
  });

  it('descends into Any payloads and checks header names with the well-known regex', () => {
    const hcm = create(HttpConnectionManagerSchema, {
      statPrefix: '',
      routeSpecifier: {
        case: 'routeConfig',
        value: {
          virtualHosts: [
            {
              name: 'vh',
              domains: ['*'],
              routes: [
                {
                  match: {
                    pathSpecifier: { case: 'prefix', value: '/' },
                    headers: [{ name: 'x-bad\nheader' }],
                  },
                  action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: 'c' } } },
                },
              ],
            },
          ],
        },
      },
    });
    const listener = create(ListenerSchema, {
      name: 'l',
      apiListener: { apiListener: anyPack(HttpConnectionManagerSchema, hcm) },
    });
    expect(checkMessage(ListenerSchema, listener)).toEqual([
      { path: 'api_listener.api_listener.stat_prefix', message: 'must be at least 1 character(s) long' },
      {
        path: 'api_listener.api_listener.route_config.virtual_hosts[0].routes[0].match.headers[0].name',
        message: 'must be a valid HTTP header name',
      },
    ]);
  });

  it('reports Any payloads it cannot read instead of passing them', () => {
    const listener = create(ListenerSchema, {
      name: 'l',
      apiListener: {
        apiListener: { typeUrl: 'type.googleapis.com/example.Unknown', value: new Uint8Array() },
      },
    });
    expect(checkMessage(ListenerSchema, listener)).toEqual([
      {
        path: 'api_listener.api_listener',
        message: 'cannot check type.googleapis.com/example.Unknown: type not in the registry',
      },
    ]);
  });

  it('prefixes resource issues with type and name', () => {
    const issues = checkResources({
      listeners: [],
      routes: [],
      clusters: [create(ClusterSchema, { name: 'm/v1', connectTimeout: { seconds: 0n } })],
      endpoints: [],
      secrets: [],
    });
    expect(issues).toEqual([{ path: 'Cluster[m/v1].connect_timeout', message: 'must be > 0s' }]);
  });

  it('names each resource type and its resource (a load assignment by cluster name) in the prefix', () => {
    const issues = checkResources({
      listeners: [
        create(ListenerSchema, {
          name: 'l',
          apiListener: { apiListener: { typeUrl: 'type.googleapis.com/x.Y' } },
        }),
      ],
      routes: [create(RouteConfigurationSchema, { name: 'r', virtualHosts: [{ name: 'vh', domains: [] }] })],
      clusters: [],
      endpoints: [
        create(ClusterLoadAssignmentSchema, { clusterName: 'm/v1', endpoints: [{ loadBalancingWeight: 0 }] }),
      ],
      secrets: [create(SecretSchema, { name: 's', type: { case: 'genericSecret', value: { secret: {} } } })],
    });
    expect(issues).toEqual([
      {
        path: 'Listener[l].api_listener.api_listener',
        message: 'cannot check type.googleapis.com/x.Y: type not in the registry',
      },
      { path: 'RouteConfiguration[r].virtual_hosts[0].domains', message: 'must have at least 1 item(s)' },
      { path: 'ClusterLoadAssignment[m/v1].endpoints[0].load_balancing_weight', message: 'must be >= 1' },
      {
        path: 'Secret[s].generic_secret.secret.specifier',
        message: 'one of filename, inline_bytes, inline_string, environment_variable is required',
      },
    ]);
  });

  it('compiles the annotation of every field in the registry (all patterns are valid here)', () => {
    let annotated = 0;
    for (const type of XDS_REGISTRY) {
      if (type.kind !== 'message') continue;
      for (const f of (type as DescMessage).fields) if (fieldCheck(f)) annotated++;
    }
    expect(annotated).toBeGreaterThan(300);
  });
});
