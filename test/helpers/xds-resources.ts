// Minimal, valid xDS resources for protocol tests, built with the generated schemas. These
// stand for "some listener/route/cluster"; the real translation lives in control-plane/translate.
import { create } from '@bufbuild/protobuf';
import { anyPack, DurationSchema } from '@bufbuild/protobuf/wkt';
import type { ResourceSet } from '../../control-plane/translate/types.js';
import { Cluster_DiscoveryType, ClusterSchema } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { ListenerSchema } from '../../protos/gen/envoy/config/listener/v3/listener_pb.js';
import { RouteConfigurationSchema } from '../../protos/gen/envoy/config/route/v3/route_pb.js';
import { RouterSchema } from '../../protos/gen/envoy/extensions/filters/http/router/v3/router_pb.js';
import { HttpConnectionManagerSchema } from '../../protos/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';

export function cluster(name: string, eds = name) {
  return create(ClusterSchema, {
    name,
    clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.EDS },
    edsClusterConfig: { edsConfig: { configSourceSpecifier: { case: 'ads', value: {} } }, serviceName: eds },
    connectTimeout: create(DurationSchema, { seconds: 1n }),
  });
}

export function endpoints(name: string, ports: number[], weight = 1) {
  return create(ClusterLoadAssignmentSchema, {
    clusterName: name,
    endpoints: [
      {
        locality: { region: 'local' },
        loadBalancingWeight: weight,
        lbEndpoints: ports.map((port) => ({
          hostIdentifier: {
            case: 'endpoint' as const,
            value: {
              address: {
                address: {
                  case: 'socketAddress' as const,
                  value: { address: '127.0.0.1', portSpecifier: { case: 'portValue' as const, value: port } },
                },
              },
            },
          },
        })),
      },
    ],
  });
}

/** A route configuration splitting across clusters by weight. */
export function route(name: string, split: Record<string, number>) {
  return create(RouteConfigurationSchema, {
    name,
    virtualHosts: [
      {
        name,
        domains: ['*'],
        routes: [
          {
            match: { pathSpecifier: { case: 'prefix', value: '' } },
            action: {
              case: 'route',
              value: {
                clusterSpecifier: {
                  case: 'weightedClusters',
                  value: { clusters: Object.entries(split).map(([n, w]) => ({ name: n, weight: w })) },
                },
              },
            },
          },
        ],
      },
    ],
  });
}

/** A proxyless-gRPC style api_listener that reads its routes over RDS from ADS. */
export function listener(name: string, routeName: string) {
  const hcm = create(HttpConnectionManagerSchema, {
    routeSpecifier: {
      case: 'rds',
      value: {
        routeConfigName: routeName,
        configSource: { configSourceSpecifier: { case: 'ads', value: {} } },
      },
    },
    httpFilters: [
      {
        name: 'router',
        configType: { case: 'typedConfig', value: anyPack(RouterSchema, create(RouterSchema)) },
      },
    ],
  });
  return create(ListenerSchema, {
    name,
    apiListener: { apiListener: anyPack(HttpConnectionManagerSchema, hcm) },
  });
}

/** One model: listener `model` -> route `model` -> clusters `model/<v>` -> endpoints. */
export function modelSet(
  model: string,
  versions: Record<string, { weight: number; ports: number[] }>,
): ResourceSet {
  const split = Object.fromEntries(Object.entries(versions).map(([v, x]) => [`${model}/${v}`, x.weight]));
  return {
    listeners: [listener(model, model)],
    routes: [route(model, split)],
    clusters: Object.keys(versions).map((v) => cluster(`${model}/${v}`)),
    endpoints: Object.entries(versions).map(([v, x]) => endpoints(`${model}/${v}`, x.ports)),
    secrets: [],
  };
}

export function mergeSets(...sets: ResourceSet[]): ResourceSet {
  return {
    listeners: sets.flatMap((s) => s.listeners),
    routes: sets.flatMap((s) => s.routes),
    clusters: sets.flatMap((s) => s.clusters),
    endpoints: sets.flatMap((s) => s.endpoints),
    secrets: sets.flatMap((s) => s.secrets),
  };
}
