// RDS. A model's routes are its match rules in order (each pins one version), then the
// default route that splits by weight. The gRPC flavor gives each model its own
// RouteConfiguration (named after the model, one virtual host matching any authority). The
// Envoy gateway has one RouteConfiguration: a virtual host per model for requests addressed to
// the model by host name, and a catch-all virtual host that finds the model by REST path
// (`/v2/models/<model>[/...]`) or by the `x-model-name` header for gRPC.
import { create } from '@bufbuild/protobuf';
import {
  type HeaderMatcher,
  HeaderMatcherSchema,
  type Route,
  type RouteAction,
  RouteActionSchema,
  RouteSchema,
  type VirtualHost,
  VirtualHostSchema,
  WeightedClusterSchema,
} from '../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import type { HeaderMatch, ModelRoute } from '../policy/types.js';
import { clusterName, MODEL_HEADER, restPath } from './names.js';
import { routeActionCommon } from './route-action.js';
import type { Flavor } from './types.js';

function stringMatch(m: HeaderMatch) {
  if ('exact' in m) return { matchPattern: { case: 'exact' as const, value: m.exact } };
  if ('prefix' in m) return { matchPattern: { case: 'prefix' as const, value: m.prefix } };
  if ('regex' in m) return { matchPattern: { case: 'safeRegex' as const, value: { regex: m.regex } } };
  return undefined;
}

export function headerMatcher(name: string, m: HeaderMatch): HeaderMatcher {
  if ('present' in m) {
    // gRPC treats any present_match as "present"; absence is spelled as an inverted match,
    // which both Envoy and gRPC read the same way.
    return create(HeaderMatcherSchema, {
      name,
      headerMatchSpecifier: { case: 'presentMatch', value: true },
      invertMatch: !m.present,
    });
  }
  return create(HeaderMatcherSchema, {
    name,
    headerMatchSpecifier: { case: 'stringMatch', value: stringMatch(m)! },
  });
}

/** How the request reaches this model: anything (own virtual host), a REST path, or the header. */
type EntryPoint = 'any' | 'rest' | 'grpc';

function entryMatch(model: string, entry: EntryPoint, extra: HeaderMatcher[]) {
  if (entry === 'rest')
    return {
      pathSpecifier: { case: 'pathSeparatedPrefix' as const, value: restPath(model) },
      headers: extra,
    };
  const headers =
    entry === 'grpc'
      ? [
          create(HeaderMatcherSchema, {
            name: MODEL_HEADER,
            headerMatchSpecifier: {
              case: 'stringMatch',
              value: { matchPattern: { case: 'exact', value: model } },
            },
          }),
          ...extra,
        ]
      : extra;
  return { pathSpecifier: { case: 'prefix' as const, value: '/' }, headers };
}

function weighted(route: ModelRoute, flavor: Flavor): RouteAction['clusterSpecifier'] {
  const { model, versions } = route.spec;
  const live = versions.filter((v) => v.weight > 0);
  if (live.length === 1) return { case: 'cluster', value: clusterName(model, live[0]!.name) };
  const total = live.reduce((s, v) => s + v.weight, 0);
  return {
    case: 'weightedClusters',
    value: create(WeightedClusterSchema, {
      clusters: live.map((v) => ({ name: clusterName(model, v.name), weight: v.weight })),
      // Older gRPC clients require total_weight; Envoy deprecates it but still checks it.
      ...(flavor === 'grpc' ? { totalWeight: total } : {}),
    }),
  };
}

/** The routes of one model for one entry point, match rules first. */
export function modelRoutes(route: ModelRoute, flavor: Flavor, entry: EntryPoint): Route[] {
  const { model } = route.spec;
  const common = routeActionCommon(route.spec, flavor);
  const prefix = entry === 'any' ? model : `${model}/${entry}`;
  const out = route.spec.match.map((rule, i) =>
    create(RouteSchema, {
      name: `${prefix}/match-${i}`,
      match: entryMatch(
        model,
        entry,
        Object.keys(rule.headers)
          .sort()
          .map((h) => headerMatcher(h, rule.headers[h]!)),
      ),
      action: {
        case: 'route',
        value: create(RouteActionSchema, {
          ...common,
          clusterSpecifier: { case: 'cluster', value: clusterName(model, rule.version) },
        }),
      },
    }),
  );
  out.push(
    create(RouteSchema, {
      name: `${prefix}/default`,
      match: entryMatch(model, entry, []),
      action: {
        case: 'route',
        value: create(RouteActionSchema, { ...common, clusterSpecifier: weighted(route, flavor) }),
      },
    }),
  );
  return out;
}

/** gRPC flavor: the model's own virtual host (the route configuration is per model). */
export function grpcVirtualHost(route: ModelRoute): VirtualHost {
  return create(VirtualHostSchema, {
    name: route.spec.model,
    domains: ['*'],
    routes: modelRoutes(route, 'grpc', 'any'),
  });
}

/** Envoy flavor: the virtual host for requests whose authority is the model's name. */
export function envoyModelVirtualHost(route: ModelRoute): VirtualHost {
  const { model } = route.spec;
  return create(VirtualHostSchema, {
    name: model,
    domains: [model, `${model}:*`],
    routes: modelRoutes(route, 'envoy', 'any'),
  });
}
