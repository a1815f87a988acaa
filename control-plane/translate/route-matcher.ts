// The gateway's `all-models` virtual host as a matcher tree (VirtualHost.matcher) instead of a
// route list. Envoy evaluates a route list in order, so every request to the catch-all host
// costs one match per model before it; the tree finds the model's own routes by map lookups and
// then evaluates only those, in their order (Envoy's router: a RouteList action's routes are
// matched like a virtual host's):
//
//   :path prefix map "/v2/models/<m>"  -> <m>'s REST routes
//     no match -> x-model-name exact map "<m>"  -> <m>'s gRPC routes
//
// REST comes first as in the list (a path names its model exactly; the header is gRPC's). The
// longest matching prefix wins, so "/v2/models/foobar/infer" finds foobar, not foo. It picks the
// route the list picks for every request but one kind: a path under a model that does not exist
// whose name extends one that does ("/v2/models/foox/..." with only foo served) hits foo's REST
// routes, which do not match it, and Envoy does not fall back to on_no_match after a map hit, so
// it answers 404 even when an x-model-name header would have sent the list to that model's gRPC
// routes (a REST path over a gRPC upstream, which fails anyway). Keying "/v2/models/<m>/",
// "...?" and an exact "/v2/models/<m>" instead would close that gap at the price of three
// copies of every REST route (twice the gateway RDS at 10,000 models, and Envoy builds each
// copy's route objects). Envoy accepts only request-header inputs in a route tree ("Route table
// can only match on request headers"); `:path` is one. docs/TRANSLATION.md, "Route lookup at
// 10,000 models".
import { create } from '@bufbuild/protobuf';
import { type Any, anyPack } from '@bufbuild/protobuf/wkt';
import type { Route, VirtualHost } from '../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import { HttpRequestHeaderMatchInputSchema } from '../../protos/gen/envoy/type/matcher/v3/http_inputs_pb.js';
import {
  type TypedExtensionConfig,
  TypedExtensionConfigSchema,
} from '../../protos/gen/xds/core/v3/extension_pb.js';
import {
  type Matcher,
  type Matcher_OnMatch,
  MatcherSchema,
} from '../../protos/gen/xds/type/matcher/v3/matcher_pb.js';
import { packedRouteList, packedRouteListBytes } from './encode/route-list.js';
import { newVirtualHost } from './literals.js';
import { MODEL_HEADER, restPath } from './names.js';
import type { GatewayRouteMatcher } from './options.js';

/**
 * With `auto`, the catch-all host becomes a tree from this many routes on (two per model
 * without match rules). Below it the list is short enough that its order costs little, and it
 * reads more easily in a config dump.
 */
export const MATCHER_TREE_MIN_ROUTES = 100;

/** One model's routes on the catch-all host, in their order. */
export interface ModelEntry {
  readonly model: string;
  readonly rest: readonly Route[];
  readonly grpc: readonly Route[];
  /** `RouteList { routes: grpc }` already encoded: the tree packs it without reading `grpc`. */
  readonly grpcList?: Uint8Array;
  /** `RouteList { routes: rest }` already encoded, likewise. */
  readonly restList?: Uint8Array;
  /** How many gRPC routes, where reading `grpc` would build them. */
  readonly grpcCount?: number;
  /**
   * The tree's actions for this entry's lists, packed once: the translator hands in the same
   * (memoized) entry while the model's policy is unchanged, so a gateway rebuilt for another
   * model packs nothing again. Kept on the entry rather than in a WeakMap by routes array (the
   * same lifetime), which also leaves the collector no weak entry per list to trace.
   */
  restAction?: Matcher_OnMatch;
  grpcAction?: Matcher_OnMatch;
}

export function useMatcherTree(mode: GatewayRouteMatcher, routeCount: number): boolean {
  if (mode === 'auto') return routeCount >= MATCHER_TREE_MIN_ROUTES;
  return mode === 'tree';
}

function headerInput(header: string): TypedExtensionConfig {
  return create(TypedExtensionConfigSchema, {
    name: `request-header ${header}`,
    typedConfig: anyPack(
      HttpRequestHeaderMatchInputSchema,
      create(HttpRequestHeaderMatchInputSchema, { headerName: header }),
    ),
  });
}

function onMatch(model: string, typedConfig: Any): Matcher_OnMatch {
  // Typed literals: two create() calls per model and entry point cost more than the packing.
  return {
    $typeName: 'xds.type.matcher.v3.Matcher.OnMatch',
    onMatch: {
      case: 'action',
      value: { $typeName: 'xds.core.v3.TypedExtensionConfig', name: model, typedConfig },
    },
  };
}

function restAction(e: ModelEntry): Matcher_OnMatch {
  e.restAction ??= onMatch(e.model, e.restList ? packedRouteListBytes(e.restList) : packedRouteList(e.rest));
  return e.restAction;
}

function grpcAction(e: ModelEntry): Matcher_OnMatch | undefined {
  if (!e.grpcAction) {
    if (e.grpcList) e.grpcAction = onMatch(e.model, packedRouteListBytes(e.grpcList));
    else if (e.grpc.length) e.grpcAction = onMatch(e.model, packedRouteList(e.grpc));
  }
  return e.grpcAction;
}

function mapTree(
  header: string,
  kind: 'exactMatchMap' | 'prefixMatchMap',
  map: Record<string, Matcher_OnMatch>,
  onNoMatch: Matcher | undefined,
): Matcher | undefined {
  // A MatchMap needs at least one entry (min_pairs: 1): an empty level is left out.
  if (Object.keys(map).length === 0) return onNoMatch;
  return create(MatcherSchema, {
    matcherType: {
      case: 'matcherTree',
      value: { input: headerInput(header), treeType: { case: kind, value: { map } } },
    },
    ...(onNoMatch ? { onNoMatch: { onMatch: { case: 'matcher', value: onNoMatch } } } : {}),
  });
}

/** The matcher tree for these models' routes; undefined when there are none. */
export function routeMatcher(entries: readonly ModelEntry[]): Matcher | undefined {
  const byPath: Record<string, Matcher_OnMatch> = {};
  const byHeader: Record<string, Matcher_OnMatch> = {};
  for (const e of entries) {
    if (e.rest.length) byPath[restPath(e.model)] = restAction(e);
    const grpc = grpcAction(e);
    if (grpc) byHeader[e.model] = grpc;
  }
  const grpc = mapTree(MODEL_HEADER, 'exactMatchMap', byHeader, undefined);
  return mapTree(':path', 'prefixMatchMap', byPath, grpc);
}

/** The catch-all virtual host: a route list, or a matcher tree over the same routes. */
export function catchAllVirtualHost(entries: readonly ModelEntry[], tree: boolean): VirtualHost {
  const matcher = tree ? routeMatcher(entries) : undefined;
  // REST routes first: a path names its model exactly, the header is the fallback for gRPC.
  // Only the list needs them gathered (the tree holds them packed per model).
  const routes = matcher ? [] : [...entries.flatMap((e) => e.rest), ...entries.flatMap((e) => e.grpc)];
  const vh = newVirtualHost('all-models', ['*'], routes);
  if (matcher) vh.matcher = matcher;
  return vh;
}
