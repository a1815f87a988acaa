// The packed RouteLists of a model's routes on the Envoy gateway's catch-all host, written
// without walking messages. The matcher tree (route-matcher.ts) holds each model's REST routes
// and its gRPC routes only as a packed RouteList in an Any. A REST route matches
// `path_separated_prefix "/v2/models/<model>"` and the match rule's headers; a gRPC route
// `prefix "/"`, an exact `x-model-name` header and the rule's headers. Each has a route action
// the model's other routes of that entry point share all but the target of, a name, and the
// body buffer limit. The gRPC routes exist only to be packed, so they are not built at all;
// packing either list through the memo encoder's generated writers was about a sixth of a full
// Envoy-flavor translation each.
//
// Fields go in number order as toBinary writes them (Route: match, route, name,
// per_request_buffer_limit_bytes; RouteMatch: prefix, headers, path_separated_prefix;
// HeaderMatcher: name, string_match; StringMatcher: exact; WeightedCluster: clusters,
// total_weight; ClusterWeight: name, weight). The sub-messages the model shares
// with others (header matchers, the action's common fields) come from the memo encoder's
// bytes. The test holds the result to toBinary of the routes routes.ts builds, for generated
// policies.
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { UInt32ValueSchema } from '@bufbuild/protobuf/wkt';
import type { HeaderMatcher } from '../../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import {
  HeaderMatcherSchema,
  type RouteAction,
  RouteActionSchema,
  RouteListSchema,
  RouteMatchSchema,
  RouteSchema,
  type WeightedCluster,
  WeightedCluster_ClusterWeightSchema,
  WeightedClusterSchema,
} from '../../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import { StringMatcherSchema } from '../../../protos/gen/envoy/type/matcher/v3/string_pb.js';
import { messageBytes } from './route-list.js';
import { Sink } from './sink.js';

const LEN = 2;
const VARINT = 0;
const ROUTES = RouteListSchema.field.routes!.number;
const MATCH = RouteSchema.field.match!.number;
const ROUTE = RouteSchema.field.route!.number;
const NAME = RouteSchema.field.name!.number;
const BUFFER_LIMIT = RouteSchema.field.perRequestBufferLimitBytes!.number;
const PREFIX = RouteMatchSchema.field.prefix!.number;
const PATH_SEPARATED_PREFIX = RouteMatchSchema.field.pathSeparatedPrefix!.number;
const HEADERS = RouteMatchSchema.field.headers!.number;
const HEADER_NAME = HeaderMatcherSchema.field.name!.number;
const STRING_MATCH = HeaderMatcherSchema.field.stringMatch!.number;
const EXACT = StringMatcherSchema.field.exact!.number;
const CLUSTER = RouteActionSchema.field.cluster!.number;
const WEIGHTED = RouteActionSchema.field.weightedClusters!.number;
const UINT32_VALUE = UInt32ValueSchema.field.value!.number;
const SPLIT_CLUSTERS = WeightedClusterSchema.field.clusters!.number;
const SPLIT_TOTAL = WeightedClusterSchema.field.totalWeight!.number;
const SPLIT_NAME = WeightedCluster_ClusterWeightSchema.field.name!.number;
const SPLIT_WEIGHT = WeightedCluster_ClusterWeightSchema.field.weight!.number;

/** One route of the list: its name, the match rule's headers and where it sends requests. */
export interface ListedRoute {
  readonly name: string;
  readonly headers: readonly HeaderMatcher[];
  readonly target: RouteAction['clusterSpecifier'];
}

/** What every route of the list shares. */
export interface ListShared {
  /**
   * How every route matches first: gRPC's `prefix "/"` and an exact header (its name and
   * value), or REST's path_separated_prefix.
   */
  readonly match: { readonly header: string; readonly value: string } | { readonly pathPrefix: string };
  /** The route action with no target: the fields after the target, in number order. */
  readonly tail: RouteAction;
  /** Route.per_request_buffer_limit_bytes, or undefined for none. */
  readonly bufferLimit: number | undefined;
}

const sink = new Sink();

// The header matchers and action tails are shared messages, never changed once built: their
// bytes are kept by identity, where the memo encoder walks a per-model type each time.
const kept = new WeakMap<object, Uint8Array>();

function sharedBytes<D extends DescMessage>(desc: D, msg: MessageShape<D>): Uint8Array {
  let b = kept.get(msg);
  if (!b) {
    b = messageBytes(desc, msg);
    kept.set(msg, b);
  }
  return b;
}

/** Whether the split has only what the translator sets: names, weights and a total. */
function plainSplit(wc: WeightedCluster): boolean {
  if (wc.runtimeKeyPrefix !== '' || wc.randomValueSpecifier.case !== undefined) return false;
  for (const c of wc.clusters)
    if (
      c.clusterHeader !== '' ||
      c.metadataMatch !== undefined ||
      c.requestHeadersToAdd.length + c.requestHeadersToRemove.length > 0 ||
      c.responseHeadersToAdd.length + c.responseHeadersToRemove.length > 0 ||
      c.hostRewriteSpecifier.case !== undefined ||
      Object.keys(c.typedPerFilterConfig).length > 0
    )
      return false;
  return true;
}

/** A UInt32Value field: present when defined, its value written unless zero (proto3). */
function writeUInt32Value(w: Sink, no: number, v: number | undefined): void {
  if (v === undefined) return;
  w.tag(no, LEN).fork();
  if (v !== 0) w.tag(UINT32_VALUE, VARINT).uint32(v);
  w.join();
}

// The default route's split, one per model and list: the memo encoder's generated writer for
// WeightedCluster was a third of writing a list.
function writeSplit(w: Sink, wc: WeightedCluster): void {
  w.tag(WEIGHTED, LEN).fork();
  for (const c of wc.clusters) {
    w.tag(SPLIT_CLUSTERS, LEN).fork();
    if (c.name !== '') w.tag(SPLIT_NAME, LEN).string(c.name);
    writeUInt32Value(w, SPLIT_WEIGHT, c.weight);
    w.join();
  }
  writeUInt32Value(w, SPLIT_TOTAL, wc.totalWeight);
  w.join();
}

function writeTarget(w: Sink, target: RouteAction['clusterSpecifier']): void {
  if (target.case === 'cluster') w.tag(CLUSTER, LEN).string(target.value);
  else if (target.case === 'weightedClusters' && plainSplit(target.value)) writeSplit(w, target.value);
  else if (target.case === 'weightedClusters')
    w.tag(WEIGHTED, LEN).bytes(messageBytes(WeightedClusterSchema, target.value));
  // Any other target is not one the translator builds: routes.ts packs those routes as messages.
  else throw new Error(`no writer for a ${String(target.case)} target`);
}

function writeRoute(w: Sink, shared: ListShared, route: ListedRoute): void {
  const { match } = shared;
  w.tag(ROUTES, LEN).fork();
  w.tag(MATCH, LEN).fork();
  if ('header' in match) {
    w.tag(PREFIX, LEN).string('/');
    w.tag(HEADERS, LEN).fork();
    w.tag(HEADER_NAME, LEN).string(match.header);
    w.tag(STRING_MATCH, LEN).fork().tag(EXACT, LEN).string(match.value).join();
    w.join();
  }
  for (const h of route.headers) w.tag(HEADERS, LEN).bytes(sharedBytes(HeaderMatcherSchema, h));
  if ('pathPrefix' in match) w.tag(PATH_SEPARATED_PREFIX, LEN).string(match.pathPrefix);
  w.join();
  w.tag(ROUTE, LEN).fork();
  writeTarget(w, route.target);
  w.raw(sharedBytes(RouteActionSchema, shared.tail));
  w.join();
  w.tag(NAME, LEN).string(route.name);
  writeUInt32Value(w, BUFFER_LIMIT, shared.bufferLimit);
  w.join();
}

/**
 * toBinary(RouteListSchema, { routes }) for routes each matching as `shared.match` says and by
 * its own headers. Throws for a value the sink does not write; the caller then packs the routes
 * as messages, so the answer or the error is toBinary's.
 */
export function gatewayRouteListBytes(shared: ListShared, routes: readonly ListedRoute[]): Uint8Array {
  sink.reset();
  for (const r of routes) writeRoute(sink, shared, r);
  return sink.finish();
}
