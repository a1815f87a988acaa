// The packed RouteList of a model's entry in the Envoy gateway's matcher tree (route-matcher.ts).
// Packing one per model and entry point through toBinary was a third of a full Envoy-flavor
// translation; most of a route's bytes are sub-messages every model shares (retry policy,
// timeouts, hash policy), which the memo encoder writes from bytes encoded once.
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import type { Any } from '@bufbuild/protobuf/wkt';
import {
  type Route,
  type RouteList,
  RouteListSchema,
  RouteSchema,
} from '../../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import { MemoEncoder } from './memo-encoder.js';

/** The messages that differ per model: walked field by field; the rest is memoized. */
export const PER_MODEL_ROUTE_TYPES: ReadonlySet<string> = new Set([
  'envoy.config.route.v3.RouteList',
  'envoy.config.route.v3.Route',
  'envoy.config.route.v3.RouteMatch',
  'envoy.config.route.v3.RouteAction',
  'envoy.config.route.v3.RouteAction.RequestMirrorPolicy',
  'envoy.config.route.v3.WeightedCluster',
  'envoy.config.route.v3.WeightedCluster.ClusterWeight',
  'envoy.config.route.v3.HeaderMatcher',
  'envoy.type.matcher.v3.StringMatcher',
]);

const encoder = new MemoEncoder(PER_MODEL_ROUTE_TYPES);

const ROUTE_LIST_TYPE_URL = `type.googleapis.com/${RouteListSchema.typeName}`;

/**
 * toBinary(desc, msg) for a per-model type (walked) or a shared one (memoized by identity, so
 * it must not change once encoded).
 */
export function messageBytes<D extends DescMessage>(desc: D, msg: MessageShape<D>): Uint8Array {
  return encoder.encode(desc, msg);
}

/** toBinary(RouteSchema, route), for the snapshot cache's route configurations (piecewise.ts). */
export function routeBytes(route: Route): Uint8Array {
  return encoder.encode(RouteSchema, route);
}

/** The bytes of `RouteList { routes }`, as toBinary writes them. */
export function routeListBytes(routes: readonly Route[]): Uint8Array {
  const list: RouteList = { $typeName: 'envoy.config.route.v3.RouteList', routes: routes as Route[] };
  return encoder.encode(RouteListSchema, list);
}

/** `anyPack(RouteListSchema, { routes })`. */
export function packedRouteList(routes: readonly Route[]): Any {
  return packedRouteListBytes(routeListBytes(routes));
}

/** The Any packing a RouteList encoded as `bytes`. */
export function packedRouteListBytes(bytes: Uint8Array): Any {
  return { $typeName: 'google.protobuf.Any', typeUrl: ROUTE_LIST_TYPE_URL, value: bytes };
}
