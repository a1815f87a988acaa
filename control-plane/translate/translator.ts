// The translator: ModelRoutes + endpoint table -> the xDS resources one flavor of client gets.
// Pure and deterministic (routes ordered by model, versions as declared, endpoints sorted), so
// the snapshot cache can derive versions from content. Outputs are memoized by input identity:
// a route object that did not change yields the very same Listener/Route/Cluster messages, and
// an endpoint list that did not change (same array) yields the same ClusterLoadAssignment per
// flavor (the flavors carry endpoint weights differently, so each has its own).
// Producers therefore replace, never mutate, the routes and endpoint arrays they hand in.

import { runSteps } from '../../kernel/runtime/steps.js';
import type { Cluster } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { ClusterLoadAssignment } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import type { Listener } from '../../protos/gen/envoy/config/listener/v3/listener_pb.js';
import type { VirtualHost } from '../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import type { RouteConfiguration } from '../../protos/gen/envoy/config/route/v3/route_pb.js';
import type { ModelRoute } from '../policy/types.js';
import { accessClusters } from './access.js';
import { buildClusters } from './cluster.js';
import { gatewayEntry } from './gateway-entry.js';
import { gatewayListener, grpcListener } from './listeners.js';
import { newRouteConfiguration } from './literals.js';
import { loadAssignments } from './load-assignments.js';
import { GATEWAY_ROUTE_CONFIG } from './names.js';
import { resolveOptions, type TranslateOptions } from './options.js';
import { interningIn } from './proto.js';
import { catchAllVirtualHost, type ModelEntry, useMatcherTree } from './route-matcher.js';
import { envoyModelVirtualHost, grpcVirtualHost, modelRoutes, routeParts } from './routes.js';
import { type GatewayMemo, TranslationCache } from './translation-cache.js';
import type { EndpointTable, Flavor, ResourceSet } from './types.js';
import { type VersionNames, versionNames } from './version-names.js';

export { translateLoadAssignment } from './load-assignments.js';

export interface TranslateInput {
  readonly routes: readonly ModelRoute[];
  readonly endpoints: EndpointTable;
}

/** Everything one route contributes in one flavor, except its endpoints. */
interface RouteOutput {
  /** The route's cluster names, which its assignments are named after too. */
  readonly names: VersionNames;
  readonly clusters: readonly Cluster[];
  readonly listener?: Listener;
  readonly routeConfig?: RouteConfiguration;
  readonly virtualHost?: VirtualHost;
  /** Envoy: the model's routes on the gateway's catch-all virtual host. */
  readonly entry?: ModelEntry;
}

const modelCheckMemo = new WeakMap<RouteOutput, RouteConfiguration>();

/**
 * A route's outputs by flavor and options key: the first inline, further ones in a Map made
 * when a second key appears (a Map per route was ten thousand more objects in a cold build).
 */
interface RouteMemo {
  readonly key: string;
  readonly out: RouteOutput;
  more?: Map<string, RouteOutput>;
}

const routeMemo = new WeakMap<ModelRoute, RouteMemo>();

function translateRoute(
  route: ModelRoute,
  flavor: Flavor,
  options: TranslateOptions,
  key: string,
): RouteOutput {
  const memo = routeMemo.get(route);
  if (memo) {
    const hit = memo.key === key ? memo.out : memo.more?.get(key);
    if (hit) return hit;
  }
  const out = buildRouteOutput(route, flavor, options);
  if (!memo) routeMemo.set(route, { key, out });
  else {
    memo.more ??= new Map();
    memo.more.set(key, out);
  }
  return out;
}

function buildRouteOutput(route: ModelRoute, flavor: Flavor, options: TranslateOptions): RouteOutput {
  const names = versionNames(route.spec, flavor);
  const built = buildClusters(route, flavor, options, names);
  const clusters =
    flavor === 'envoy' && route.spec.access ? [...built, ...accessClusters(route, options)] : built;
  if (flavor === 'grpc') {
    const model = route.spec.model;
    return {
      names,
      clusters,
      listener: grpcListener(model),
      routeConfig: newRouteConfiguration(model, [grpcVirtualHost(route, names)]),
    };
  }
  const parts = routeParts(route, 'envoy', names);
  const rest = modelRoutes(route, 'envoy', 'rest', parts);
  return {
    names,
    clusters,
    virtualHost: envoyModelVirtualHost(route, rest, parts),
    entry: gatewayEntry(route, parts, rest),
  };
}

interface Gateway extends GatewayMemo {
  readonly routeConfig: RouteConfiguration;
  readonly listener: Listener;
  /** The routes with `spec.access`, whose filter configs the listener holds. */
  readonly accessParts: readonly ModelRoute[];
}

function sameParts(a: readonly object[], b: readonly object[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The Envoy gateway's listener and route configuration. Rebuilt only when one of the
 * per-model virtual hosts or routes changed, so an endpoint change leaves RDS and LDS as the
 * same objects (nothing to re-check or re-encode).
 */
function gatewayResources(
  cache: TranslationCache,
  key: string,
  options: TranslateOptions,
  virtualHosts: VirtualHost[],
  entries: ModelEntry[],
  accessParts: ModelRoute[],
): Gateway {
  const parts: object[] = [...virtualHosts];
  // The packed gRPC list stands for the routes it was written from (the same object while the
  // model's policy is unchanged): reading `grpc` would build them.
  for (const e of entries) parts.push(e.rest, e.grpcList ?? e.grpc);
  const last = cache.gateway as Gateway | undefined;
  const sameAccess = last !== undefined && last.key === key && sameParts(last.accessParts, accessParts);
  if (last && sameAccess && sameParts(last.parts, parts)) return last;
  const routeCount = entries.reduce((n, e) => n + e.rest.length + (e.grpcCount ?? e.grpc.length), 0);
  const catchAll = catchAllVirtualHost(entries, useMatcherTree(options.gatewayRouteMatcher, routeCount));
  const gateway: Gateway = {
    key,
    parts,
    routeConfig: newRouteConfiguration(GATEWAY_ROUTE_CONFIG, [...virtualHosts, catchAll]),
    listener: sameAccess ? last.listener : gatewayListener(options, accessParts),
    accessParts,
  };
  cache.gateway = gateway;
  return gateway;
}

function byModel(a: ModelRoute, b: ModelRoute): number {
  return a.spec.model < b.spec.model ? -1 : a.spec.model > b.spec.model ? 1 : 0;
}

/** The routes in model order; callers usually hand them in so, which one pass confirms. */
function sortedByModel(routes: readonly ModelRoute[]): readonly ModelRoute[] {
  for (let i = 1; i < routes.length; i++)
    if (byModel(routes[i - 1]!, routes[i]!) > 0) return [...routes].sort(byModel);
  return routes;
}

/**
 * The resources a client of `flavor` receives for these routes and endpoints. `cache`: what to
 * reuse from earlier calls (the caller owns it; see translation-cache.ts).
 */
export function translate(
  input: TranslateInput,
  flavor: Flavor,
  partialOptions?: Partial<TranslateOptions>,
  cache: TranslationCache = new TranslationCache(),
): ResourceSet {
  return runSteps(translateSteps(input, flavor, partialOptions, cache));
}

/**
 * `translate`, yielding after each model, so a caller can spread the work over several turns
 * of its event loop (the snapshot publisher does). Each step runs with `cache` current.
 */
export function* translateSteps(
  input: TranslateInput,
  flavor: Flavor,
  partialOptions?: Partial<TranslateOptions>,
  cache: TranslationCache = new TranslationCache(),
): Generator<void, ResourceSet> {
  const inner = translateAll(input, flavor, partialOptions, cache);
  for (;;) {
    const next = interningIn(cache, () => inner.next());
    if (next.done) return next.value;
    yield;
  }
}

function* translateAll(
  input: TranslateInput,
  flavor: Flavor,
  partialOptions: Partial<TranslateOptions> | undefined,
  cache: TranslationCache,
): Generator<void, ResourceSet> {
  const options = resolveOptions(partialOptions);
  const spelled = `${flavor}\u0000${JSON.stringify(options)}`;
  // The same string object across calls: each route's memo compares it by identity, not by
  // its several hundred characters.
  const key = cache.intern('options-key', spelled, () => spelled);
  const routes = sortedByModel(input.routes);
  const listeners: Listener[] = [];
  const routeConfigs: RouteConfiguration[] = [];
  const clusters: Cluster[] = [];
  const endpoints: ClusterLoadAssignment[] = [];
  const virtualHosts: VirtualHost[] = [];
  const entries: ModelEntry[] = [];
  const accessParts: ModelRoute[] = [];
  for (const route of routes) {
    if (route.spec.access) accessParts.push(route);
    yield;
    const out = translateRoute(route, flavor, options, key);
    for (const c of out.clusters) clusters.push(c);
    for (const cla of loadAssignments(route, flavor, input.endpoints, cache, out.names)) endpoints.push(cla);
    if (out.listener) listeners.push(out.listener);
    if (out.routeConfig) routeConfigs.push(out.routeConfig);
    if (out.virtualHost) virtualHosts.push(out.virtualHost);
    if (out.entry) entries.push(out.entry);
  }
  if (flavor === 'envoy') {
    const gw = gatewayResources(cache, key, options, virtualHosts, entries, accessParts);
    routeConfigs.push(gw.routeConfig);
    listeners.push(gw.listener);
  }
  return {
    listeners,
    routes: routeConfigs,
    clusters,
    endpoints,
    // SDS secrets are per identity and come from control-plane/xds/sds, never from here: no
    // private key is ever part of a shared snapshot.
    secrets: [],
  };
}

/**
 * What one route contributes to `flavor`'s snapshot, on its own: its clusters and
 * ClusterLoadAssignments, and its listener and route configuration (proxyless gRPC) or, for
 * Envoy, a route configuration holding just its virtual host and its catch-all routes. The
 * publisher checks this per model, so one model's fault stays that model's; the shared gateway
 * is left alone (its memo is not disturbed) and is checked with the whole snapshot. The
 * catch-all routes are a matcher tree, as the gateway's are at scale: the checkers read a
 * packed route list as its routes, and the gRPC ones, written packed, are never built as
 * messages for the check.
 */
export function translateModel(
  route: ModelRoute,
  endpoints: EndpointTable,
  flavor: Flavor,
  partialOptions?: Partial<TranslateOptions>,
  cache: TranslationCache = new TranslationCache(),
): ResourceSet {
  return interningIn(cache, () => translateOne(route, endpoints, flavor, partialOptions, cache));
}

function translateOne(
  route: ModelRoute,
  endpoints: EndpointTable,
  flavor: Flavor,
  partialOptions: Partial<TranslateOptions> | undefined,
  cache: TranslationCache,
): ResourceSet {
  const options = resolveOptions(partialOptions);
  const out = translateRoute(route, flavor, options, `${flavor}\u0000${JSON.stringify(options)}`);
  let routes: RouteConfiguration[] = [];
  if (out.routeConfig) routes = [out.routeConfig];
  else if (out.virtualHost) {
    let rc = modelCheckMemo.get(out);
    if (!rc) {
      const catchAll = catchAllVirtualHost(out.entry ? [out.entry] : [], true);
      rc = newRouteConfiguration(`${GATEWAY_ROUTE_CONFIG}/${route.spec.model}`, [out.virtualHost, catchAll]);
      modelCheckMemo.set(out, rc);
    }
    routes = [rc];
  }
  return {
    listeners: out.listener ? [out.listener] : [],
    routes,
    clusters: out.clusters,
    endpoints: loadAssignments(route, flavor, endpoints, cache, out.names),
    secrets: [],
  };
}
