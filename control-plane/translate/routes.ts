// RDS. A model's routes are its match rules in order (each pins one version), then the
// default route that splits by weight. The gRPC flavor gives each model its own
// RouteConfiguration (named after the model, one virtual host matching any authority). The
// Envoy gateway has one RouteConfiguration: a virtual host per model for requests addressed to
// the model by host name (REST paths to the REST clusters, the rest to the gRPC clusters), and a catch-all virtual host that finds the model by REST path
// (`/v2/models/<model>[/...]`, to the REST clusters on the pods' HTTP port) or by the
// `x-model-name` header for gRPC.
import { create } from '@bufbuild/protobuf';
import {
  type HeaderMatcher,
  HeaderMatcherSchema,
  type Route,
  type RouteAction,
  type RouteMatch,
  type VirtualHost,
} from '../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import type { HeaderMatch, ModelRoute } from '../policy/types.js';
import { applyRouteAccess } from './access.js';
import { NONE } from './empties.js';
import { flatJoin } from './flat-join.js';
import {
  newClusterWeight,
  newRoute,
  newRouteAction,
  newRouteMatch,
  newVirtualHost,
  newWeightedCluster,
} from './literals.js';
import { clusterName, MODEL_HEADER, restClusterName, restPath } from './names.js';
import { shared } from './proto.js';
import type { EntryPoint } from './retry-on.js';
import { bodyBufferLimit, type RouteActionCommon, routeActionCommon } from './route-action.js';
import type { Flavor } from './types.js';
import { entryNames, nameOf, type VersionNames, versionNames } from './version-names.js';

function stringMatch(m: HeaderMatch) {
  if ('exact' in m) return { matchPattern: { case: 'exact' as const, value: m.exact } };
  if ('prefix' in m) return { matchPattern: { case: 'prefix' as const, value: m.prefix } };
  if ('regex' in m) return { matchPattern: { case: 'safeRegex' as const, value: { regex: m.regex } } };
  return undefined;
}

// What buildHeaderMatcher reads, in its order, spelled as a key (JSON.stringify per rule cost
// more than the lookup). The kind letter comes before the value, so values never collide.
function headerMatchKey(name: string, m: HeaderMatch): string {
  if ('present' in m) return `${name}\u0000p${m.present}`;
  if ('exact' in m) return `${name}\u0000e${m.exact}`;
  if ('prefix' in m) return `${name}\u0000x${m.prefix}`;
  if ('regex' in m) return `${name}\u0000r${m.regex}`;
  return `${name}\u0001`;
}

/** A header condition as Envoy's HeaderMatcher; equal conditions share one message. */
export function headerMatcher(name: string, m: HeaderMatch): HeaderMatcher {
  return shared('matcher', headerMatchKey(name, m), () => buildHeaderMatcher(name, m));
}

function buildHeaderMatcher(name: string, m: HeaderMatch): HeaderMatcher {
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

// A typed literal: built per model and entry point, where create() cost several times more.
function modelHeaderMatcher(model: string): HeaderMatcher {
  return {
    $typeName: 'envoy.config.route.v3.HeaderMatcher',
    name: MODEL_HEADER,
    headerMatchSpecifier: {
      case: 'stringMatch',
      value: {
        $typeName: 'envoy.type.matcher.v3.StringMatcher',
        matchPattern: { case: 'exact', value: model },
        ignoreCase: false,
      },
    },
    invertMatch: false,
    treatMissingHeaderAsEmpty: false,
  };
}

type RestPath = RouteMatch['pathSpecifier'] & { case: 'pathSeparatedPrefix' };

/** The model's REST path match, made once per model (its REST routes and lists all use it). */
export function restPathOf(parts: RouteParts, model: string): RestPath {
  parts.restPath ??= { case: 'pathSeparatedPrefix', value: restPath(model) };
  return parts.restPath;
}

// Shared by every route that matches any path: nothing downstream mutates a translated match.
const ANY_PATH: RouteMatch['pathSpecifier'] = Object.freeze({ case: 'prefix', value: '/' });

function entryMatch(
  model: string,
  parts: RouteParts,
  entry: EntryPoint,
  modelHeader: HeaderMatcher | undefined,
  extra: HeaderMatcher[],
): RouteMatch {
  const m = newRouteMatch();
  if (entry === 'rest') {
    m.pathSpecifier = restPathOf(parts, model);
    m.headers = extra;
  } else {
    m.pathSpecifier = ANY_PATH;
    m.headers = modelHeader ? [modelHeader, ...extra] : extra;
  }
  return m;
}

/** The cluster an entry point's requests go to: Envoy's REST requests have clusters of their own. */
export function entryCluster(flavor: Flavor, entry: EntryPoint): (model: string, version: string) => string {
  return flavor === 'envoy' && entry === 'rest' ? restClusterName : clusterName;
}

function weighted(
  route: ModelRoute,
  flavor: Flavor,
  names: readonly string[],
): RouteAction['clusterSpecifier'] {
  const { versions } = route.spec;
  const live: number[] = [];
  for (let i = 0; i < versions.length; i++) if (versions[i]!.weight > 0) live.push(i);
  if (live.length === 1) return { case: 'cluster', value: names[live[0]!]! };
  const wc = newWeightedCluster(live.map((i) => newClusterWeight(names[i]!, versions[i]!.weight)));
  // Older gRPC clients require total_weight; Envoy deprecates it but still checks it.
  if (flavor === 'grpc') wc.totalWeight = live.reduce((s, i) => s + versions[i]!.weight, 0);
  return { case: 'weightedClusters', value: wc };
}

/** Where each of a model's routes sends its requests, over one list of cluster names. */
export interface Targets {
  /** Per match rule, its version's cluster. */
  readonly rules: RouteAction['clusterSpecifier'][];
  /** The default route's weighted split. */
  readonly split: RouteAction['clusterSpecifier'];
}

function buildTargets(
  route: ModelRoute,
  flavor: Flavor,
  entry: EntryPoint,
  names: readonly string[],
): Targets {
  const { spec } = route;
  return {
    rules: spec.match.map((rule) => ({
      case: 'cluster' as const,
      value: nameOf(spec, names, rule.version) ?? entryCluster(flavor, entry)(spec.model, rule.version),
    })),
    split: weighted(route, flavor, names),
  };
}

/**
 * What the routes of one model's entry points have in common, worked out once per model: the
 * gateway builds three route lists per model (REST, gRPC and its own virtual host), and the
 * gRPC list and the virtual host's send to the same clusters. Sub-messages are shared between
 * them, never copied: nothing downstream mutates a translated split or header matcher.
 */
export interface RouteParts {
  readonly names: VersionNames;
  /** Per match rule, its header conditions in header-name order. */
  readonly ruleHeaders: readonly HeaderMatcher[][];
  /** The path match of the model's REST routes (`/v2/models/<model>`), one for all of them. */
  restPath?: RestPath;
  /** The routes' targets over the gRPC clusters, and over the REST clusters, once built. */
  grpcTargets?: Targets;
  restTargets?: Targets;
}

export function routeParts(
  route: ModelRoute,
  flavor: Flavor,
  names = versionNames(route.spec, flavor),
): RouteParts {
  return {
    names,
    ruleHeaders: route.spec.match.map((rule) =>
      Object.keys(rule.headers)
        .sort()
        .map((h) => headerMatcher(h, rule.headers[h]!)),
    ),
  };
}

export function targetsOf(parts: RouteParts, route: ModelRoute, flavor: Flavor, entry: EntryPoint): Targets {
  const names = entryNames(parts.names, flavor, entry);
  if (names === parts.names.grpc) {
    parts.grpcTargets ??= buildTargets(route, flavor, entry, names);
    return parts.grpcTargets;
  }
  parts.restTargets ??= buildTargets(route, flavor, entry, names);
  return parts.restTargets;
}

export function action(
  common: RouteActionCommon,
  clusterSpecifier: RouteAction['clusterSpecifier'],
): RouteAction {
  const a = newRouteAction();
  a.clusterSpecifier = clusterSpecifier;
  if (common.timeout) a.timeout = common.timeout;
  if (common.maxStreamDuration) a.maxStreamDuration = common.maxStreamDuration;
  if (common.retryPolicy) a.retryPolicy = common.retryPolicy;
  a.hashPolicy = common.hashPolicy;
  a.requestMirrorPolicies = common.requestMirrorPolicies;
  return a;
}

/**
 * The routes of one model for one entry point, match rules first. `parts`: what the model's
 * other entry points share with this one, when the caller has it already.
 */
export function modelRoutes(
  route: ModelRoute,
  flavor: Flavor,
  entry: EntryPoint,
  parts: RouteParts = routeParts(route, flavor),
): Route[] {
  const { model } = route.spec;
  const targets = targetsOf(parts, route, flavor, entry);
  const common = routeActionCommon(route.spec, flavor, entry);
  const prefix = entry === 'any' ? model : flatJoin(model, '/', entry);
  const modelHeader = entry === 'grpc' ? modelHeaderMatcher(model) : undefined;
  const { ruleHeaders } = parts;
  const n = ruleHeaders.length;
  // Exactly as long as it ends up: a model's routes are held as long as its policy.
  const out: Route[] = new Array(n + 1);
  for (let i = 0; i < n; i++)
    out[i] = newRoute(
      flatJoin(prefix, '/match-', String(i)),
      entryMatch(model, parts, entry, modelHeader, ruleHeaders[i]!),
      action(common, targets.rules[i]!),
    );
  out[n] = newRoute(
    flatJoin(prefix, '/default'),
    entryMatch(model, parts, entry, modelHeader, NONE),
    action(common, targets.split),
  );
  const limit = bodyBufferLimit(flavor, common);
  if (limit !== undefined) for (const r of out) r.perRequestBufferLimitBytes = limit;
  if (flavor === 'envoy') applyRouteAccess(out, route);
  return out;
}

/** gRPC flavor: the model's own virtual host (the route configuration is per model). */
export function grpcVirtualHost(route: ModelRoute, names?: VersionNames): VirtualHost {
  return newVirtualHost(
    route.spec.model,
    ['*'],
    modelRoutes(route, 'grpc', 'any', routeParts(route, 'grpc', names)),
  );
}

/**
 * Envoy flavor: the virtual host for requests whose authority is the model's name. Its REST
 * requests (`/v2/models/<model>[/...]`) take the same routes as on the catch-all virtual host,
 * to the REST clusters on the pods' HTTP port; everything else goes to the gRPC clusters.
 */
export function envoyModelVirtualHost(
  route: ModelRoute,
  restRoutes: readonly Route[],
  parts: RouteParts = routeParts(route, 'envoy'),
): VirtualHost {
  const { model } = route.spec;
  return newVirtualHost(
    model,
    [model, `${model}:*`],
    [...restRoutes, ...modelRoutes(route, 'envoy', 'any', parts)],
  );
}
