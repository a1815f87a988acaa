// What each resource names in another type, on hand-built messages: every place a route, a
// cluster or a secret can be named, and the shapes that name nothing.
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { ClusterSchema } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ListenerSchema } from '../../protos/gen/envoy/config/listener/v3/listener_pb.js';
import {
  RouteListSchema,
  RouteSchema,
  type VirtualHost,
  VirtualHostSchema,
} from '../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import { JwtAuthenticationSchema } from '../../protos/gen/envoy/extensions/filters/http/jwt_authn/v3/config_pb.js';
import { HttpConnectionManagerSchema } from '../../protos/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { DownstreamTlsContextSchema } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import {
  type Matcher_OnMatchSchema,
  MatcherSchema,
} from '../../protos/gen/xds/type/matcher/v3/matcher_pb.js';
import { listenerRefs, routeClusters, virtualHostRoutes } from './references.js';

type RouteInit = MessageInitShape<typeof RouteSchema>;
type OnMatchInit = MessageInitShape<typeof Matcher_OnMatchSchema>;
const toCluster = (cluster: string): RouteInit => ({
  name: cluster,
  action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: cluster } } },
});
const routeAction = (name: string, route: RouteInit): OnMatchInit => ({
  onMatch: {
    case: 'action',
    value: { name, typedConfig: anyPack(RouteSchema, create(RouteSchema, route)) },
  },
});
const listAction = (routes: RouteInit[]): OnMatchInit => ({
  onMatch: {
    case: 'action',
    value: { name: 'list', typedConfig: anyPack(RouteListSchema, create(RouteListSchema, { routes })) },
  },
});
const host = (init: MessageInitShape<typeof VirtualHostSchema>): VirtualHost =>
  create(VirtualHostSchema, { name: 'vh', domains: ['*'], ...init });

describe('routeClusters', () => {
  it('names single, weighted and mirror clusters, sorted and once each', () => {
    const rc = {
      virtualHosts: [
        host({
          routes: [
            toCluster('b'),
            {
              action: {
                case: 'route',
                value: {
                  clusterSpecifier: {
                    case: 'weightedClusters',
                    value: { clusters: [{ name: 'w2' }, { name: 'a' }] },
                  },
                  requestMirrorPolicies: [{ cluster: 'mirror' }, { cluster: '' }],
                },
              },
            },
            { action: { case: 'redirect', value: {} } },
            { action: { case: 'route', value: { clusterSpecifier: { case: 'clusterHeader', value: 'x' } } } },
          ],
        }),
        host({ routes: [toCluster('b')] }),
      ],
    };
    expect(routeClusters(rc)).toEqual(['a', 'b', 'mirror', 'w2']);
  });

  it('follows a matcher tree, a matcher list, nested matchers and on-no-match to their routes', () => {
    const tree = create(MatcherSchema, {
      matcherType: {
        case: 'matcherTree',
        value: {
          treeType: {
            case: 'exactMatchMap',
            value: {
              map: {
                one: routeAction('one', toCluster('tree-route')),
                many: listAction([toCluster('tree-list-1'), toCluster('tree-list-2')]),
                deeper: {
                  onMatch: {
                    case: 'matcher',
                    value: {
                      matcherType: {
                        case: 'matcherList',
                        value: {
                          matchers: [{ onMatch: routeAction('n', toCluster('nested')) }],
                        },
                      },
                    },
                  },
                },
                other: {
                  onMatch: {
                    case: 'action',
                    value: { name: 'other', typedConfig: anyPack(ClusterSchema, create(ClusterSchema)) },
                  },
                },
                bare: { onMatch: { case: 'action', value: { name: 'bare' } } },
              },
            },
          },
        },
      },
      onNoMatch: routeAction('fallback', toCluster('no-match')),
    });
    const vh = host({ routes: [toCluster('listed')], matcher: tree });
    expect(virtualHostRoutes(vh).map((r) => r.name)).toEqual([
      'listed',
      'tree-route',
      'tree-list-1',
      'tree-list-2',
      'nested',
      'no-match',
    ]);
    expect(routeClusters({ virtualHosts: [vh] })).toEqual([
      'listed',
      'nested',
      'no-match',
      'tree-list-1',
      'tree-list-2',
      'tree-route',
    ]);
  });

  it('takes a custom-match tree and an empty matcher as leading only to their on-no-match routes', () => {
    const custom = create(MatcherSchema, {
      matcherType: {
        case: 'matcherTree',
        value: { treeType: { case: 'customMatch', value: { name: 'x' } } },
      },
      onNoMatch: routeAction('fallback', toCluster('fallback')),
    });
    expect(routeClusters({ virtualHosts: [host({ matcher: custom })] })).toEqual(['fallback']);
    const empty = create(MatcherSchema, { matcherType: { case: 'matcherTree', value: {} } });
    expect(virtualHostRoutes(host({ routes: [toCluster('x')], matcher: empty })).map((r) => r.name)).toEqual([
      'x',
    ]);
  });

  it('returns a host without a matcher its own route list', () => {
    const vh = host({ routes: [toCluster('x')] });
    expect(virtualHostRoutes(vh)).toBe(vh.routes);
  });
});

const HCM = (init: MessageInitShape<typeof HttpConnectionManagerSchema>) =>
  anyPack(HttpConnectionManagerSchema, create(HttpConnectionManagerSchema, { statPrefix: 's', ...init }));

const jwtFilter = {
  name: 'envoy.filters.http.jwt_authn',
  configType: {
    case: 'typedConfig' as const,
    value: anyPack(
      JwtAuthenticationSchema,
      create(JwtAuthenticationSchema, {
        providers: {
          remote: {
            jwksSourceSpecifier: {
              case: 'remoteJwks',
              value: {
                httpUri: { uri: 'https://x/jwks', httpUpstreamType: { case: 'cluster', value: 'm/-/jwks' } },
              },
            },
          },
          local: { jwksSourceSpecifier: { case: 'localJwks', value: {} } },
        },
      }),
    ),
  },
};

const downstream = (certs: string[], validation?: string, combined?: string) =>
  anyPack(
    DownstreamTlsContextSchema,
    create(DownstreamTlsContextSchema, {
      commonTlsContext: {
        tlsCertificateSdsSecretConfigs: certs.map((name) => ({ name })),
        validationContextType: validation
          ? { case: 'validationContextSdsSecretConfig', value: { name: validation } }
          : combined
            ? {
                case: 'combinedValidationContext',
                value: { defaultValidationContext: {}, validationContextSdsSecretConfig: { name: combined } },
              }
            : { case: undefined },
      },
    }),
  );

describe('listenerRefs', () => {
  it('names nothing for an HCM without a route specifier, a TLS context without common settings, or a remote key set without a URI', () => {
    const jwt = anyPack(
      JwtAuthenticationSchema,
      create(JwtAuthenticationSchema, {
        providers: {
          noUri: { jwksSourceSpecifier: { case: 'remoteJwks', value: {} } },
          noCluster: {
            jwksSourceSpecifier: { case: 'remoteJwks', value: { httpUri: { uri: 'https://x/jwks' } } },
          },
        },
      }),
    );
    const l = create(ListenerSchema, {
      name: 'l',
      filterChains: [
        {
          filters: [
            {
              name: 'hcm',
              configType: {
                case: 'typedConfig',
                value: HCM({
                  httpFilters: [{ name: 'jwt', configType: { case: 'typedConfig', value: jwt } }],
                }),
              },
            },
          ],
          transportSocket: {
            name: 'tls',
            configType: {
              case: 'typedConfig',
              value: anyPack(DownstreamTlsContextSchema, create(DownstreamTlsContextSchema)),
            },
          },
        },
      ],
    });
    expect(listenerRefs(l)).toEqual({ routes: [], clusters: [], secrets: [] });
  });

  it('names the RDS configuration of an API listener and the JWKS clusters of its filters', () => {
    const l = create(ListenerSchema, {
      name: 'api',
      apiListener: {
        apiListener: HCM({
          routeSpecifier: { case: 'rds', value: { routeConfigName: 'routes' } },
          httpFilters: [
            jwtFilter,
            { name: 'router', configType: { case: 'typedConfig', value: HCM({}) } },
            { name: 'none' },
          ],
        }),
      },
    });
    expect(listenerRefs(l)).toEqual({ routes: ['routes'], clusters: ['m/-/jwks'], secrets: [] });
  });

  it('names inline route clusters and TLS secrets of every filter chain, the default chain included', () => {
    const inline = HCM({
      routeSpecifier: {
        case: 'routeConfig',
        value: { virtualHosts: [{ name: 'vh', domains: ['*'], routes: [toCluster('z'), toCluster('y')] }] },
      },
    });
    const l = create(ListenerSchema, {
      name: 'l',
      filterChains: [
        {
          filters: [{ name: 'hcm', configType: { case: 'typedConfig', value: inline } }, { name: 'empty' }],
          transportSocket: {
            name: 'tls',
            configType: { case: 'typedConfig', value: downstream(['cert-b', 'cert-a'], 'ca') },
          },
        },
        {
          filters: [
            {
              name: 'hcm',
              configType: {
                case: 'typedConfig',
                value: HCM({ routeSpecifier: { case: 'rds', value: { routeConfigName: 'r2' } } }),
              },
            },
          ],
          transportSocket: {
            name: 'tls',
            configType: { case: 'typedConfig', value: downstream(['cert-a'], undefined, 'combined-ca') },
          },
        },
      ],
      defaultFilterChain: {
        filters: [
          {
            name: 'hcm',
            configType: {
              case: 'typedConfig',
              value: HCM({ routeSpecifier: { case: 'rds', value: { routeConfigName: 'default' } } }),
            },
          },
        ],
        transportSocket: {
          name: 'tls',
          configType: { case: 'typedConfig', value: downstream(['default-cert']) },
        },
      },
    });
    expect(listenerRefs(l)).toEqual({
      routes: ['default', 'r2'],
      clusters: ['y', 'z'],
      secrets: ['ca', 'cert-a', 'cert-b', 'combined-ca', 'default-cert'],
    });
    // The second walk reads what the first one kept per Any: the same answer.
    expect(listenerRefs(l)).toEqual(listenerRefs(l));
  });

  it('names no secret for a combined validation context without SDS, or a socket of another type', () => {
    const l = create(ListenerSchema, {
      name: 'l',
      filterChains: [
        {
          transportSocket: {
            name: 'tls',
            configType: { case: 'typedConfig', value: downstream([], undefined, undefined) },
          },
        },
        {
          transportSocket: {
            name: 'tls',
            configType: {
              case: 'typedConfig',
              value: anyPack(
                DownstreamTlsContextSchema,
                create(DownstreamTlsContextSchema, {
                  commonTlsContext: {
                    validationContextType: { case: 'combinedValidationContext', value: {} },
                  },
                }),
              ),
            },
          },
        },
        { transportSocket: { name: 'raw', configType: { case: 'typedConfig', value: HCM({}) } } },
        { transportSocket: { name: 'none' } },
      ],
    });
    expect(listenerRefs(l)).toEqual({ routes: [], clusters: [], secrets: [] });
  });
});
