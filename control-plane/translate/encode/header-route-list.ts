// The packed RouteList of a model's gRPC routes on the Envoy gateway's catch-all host, written
// without building the routes. Those routes exist only to be packed into the matcher tree
// (route-matcher.ts): each is `prefix "/"`, an exact `x-model-name` header and the match
// rule's headers, a route action the model's other entry points share all but the target
// of, a name, and the body buffer limit. Built as messages and then walked by the memo
// encoder they were about a sixth of a full Envoy-flavor translation, most of it the garbage
// collector copying routes that nothing reads once packed.
//
// Fields go in number order as toBinary writes them (Route: match, route, name,
// per_request_buffer_limit_bytes; RouteMatch: prefix, headers; HeaderMatcher: name,
// string_match; StringMatcher: exact). The sub-messages the model shares with others (header
// matchers, the action's common fields) come from the memo encoder's bytes. The test holds
// the result to toBinary of the routes routes.ts builds, for generated policies.
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
const HEADERS = RouteMatchSchema.field.headers!.number;
const HEADER_NAME = HeaderMatcherSchema.field.name!.number;
const STRING_MATCH = HeaderMatcherSchema.field.stringMatch!.number;
const EXACT = StringMatcherSchema.field.exact!.number;
const CLUSTER = RouteActionSchema.field.cluster!.number;
const WEIGHTED = RouteActionSchema.field.weightedClusters!.number;
const UINT32_VALUE = UInt32ValueSchema.field.value!.number;

/** One route of the list: its name, the match rule's headers and where it sends requests. */
export interface HeaderRoute {
  readonly name: string;
  readonly headers: readonly HeaderMatcher[];
  readonly target: RouteAction['clusterSpecifier'];
}

/** What every route of the list shares. */
export interface HeaderRouteShared {
  /** The exact header every route matches first, and its value. */
  readonly header: string;
  readonly value: string;
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

function writeTarget(w: Sink, target: RouteAction['clusterSpecifier']): void {
  if (target.case === 'cluster') w.tag(CLUSTER, LEN).string(target.value);
  else if (target.case === 'weightedClusters')
    w.tag(WEIGHTED, LEN).bytes(messageBytes(WeightedClusterSchema, target.value));
  // Any other target is not one the translator builds: routes.ts packs those routes as messages.
  else throw new Error(`no writer for a ${String(target.case)} target`);
}

function writeRoute(w: Sink, shared: HeaderRouteShared, route: HeaderRoute): void {
  w.tag(ROUTES, LEN).fork();
  w.tag(MATCH, LEN).fork();
  w.tag(PREFIX, LEN).string('/');
  w.tag(HEADERS, LEN).fork();
  w.tag(HEADER_NAME, LEN).string(shared.header);
  w.tag(STRING_MATCH, LEN).fork().tag(EXACT, LEN).string(shared.value).join();
  w.join();
  for (const h of route.headers) w.tag(HEADERS, LEN).bytes(sharedBytes(HeaderMatcherSchema, h));
  w.join();
  w.tag(ROUTE, LEN).fork();
  writeTarget(w, route.target);
  w.raw(sharedBytes(RouteActionSchema, shared.tail));
  w.join();
  w.tag(NAME, LEN).string(route.name);
  if (shared.bufferLimit !== undefined)
    w.tag(BUFFER_LIMIT, LEN).fork().tag(UINT32_VALUE, VARINT).uint32(shared.bufferLimit).join();
  w.join();
}

/**
 * toBinary(RouteListSchema, { routes }) for routes each matching `prefix "/"`, the exact
 * header, then its own headers. Throws for a value the sink does not write; the caller then
 * builds the routes as messages, so the answer or the error is toBinary's.
 */
export function headerRouteListBytes(shared: HeaderRouteShared, routes: readonly HeaderRoute[]): Uint8Array {
  sink.reset();
  for (const r of routes) writeRoute(sink, shared, r);
  return sink.finish();
}
