// A model's entry on the Envoy gateway's catch-all host (route-matcher.ts): its REST routes,
// and its gRPC routes written packed (encode/header-route-list.ts) rather than built, since the
// matcher tree reads only their packed form. The routes are built as messages only when read:
// by the list form of the host (fewer models than the tree is for), or for a model with access
// rules, whose routes carry per-route filter configs the writer does not write.
import type { Route, RouteAction } from '../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import type { Matcher_OnMatch } from '../../protos/gen/xds/type/matcher/v3/matcher_pb.js';
import type { ModelRoute } from '../policy/types.js';
import { NONE, UNSET } from './empties.js';
import {
  type HeaderRoute,
  type HeaderRouteShared,
  headerRouteListBytes,
} from './encode/header-route-list.js';
import { MODEL_HEADER } from './names.js';
import { bodyBufferLimit, type RouteActionCommon, routeActionCommon } from './route-action.js';
import type { ModelEntry } from './route-matcher.js';
import { action, modelRoutes, type RouteParts, targetsOf } from './routes.js';

// The action of a model's routes without its target, per shared common fields: the tail every
// gRPC route of the gateway's catch-all host writes after its target.
const tails = new WeakMap<RouteActionCommon, RouteAction>();

function tailOf(common: RouteActionCommon): RouteAction {
  let t = tails.get(common);
  if (!t) {
    t = action(common, UNSET);
    tails.set(common, t);
  }
  return t;
}

/**
 * The packed form of `modelRoutes(route, 'envoy', 'grpc', parts)`, written without building
 * the routes (encode/header-route-list.ts); undefined where only the messages will do: a model
 * with access rules (per-route filter configs), or a value the writer leaves to toBinary.
 */
function grpcRouteListBytes(route: ModelRoute, parts: RouteParts): Uint8Array | undefined {
  const { spec } = route;
  if (spec.access) return undefined;
  const common = routeActionCommon(spec, 'envoy', 'grpc');
  const targets = targetsOf(parts, route, 'envoy', 'grpc');
  const prefix = `${spec.model}/grpc`;
  const routes: HeaderRoute[] = [];
  for (let i = 0; i < parts.ruleHeaders.length; i++)
    routes.push({ name: `${prefix}/match-${i}`, headers: parts.ruleHeaders[i]!, target: targets.rules[i]! });
  routes.push({ name: `${prefix}/default`, headers: NONE, target: targets.split });
  const shared: HeaderRouteShared = {
    header: MODEL_HEADER,
    value: spec.model,
    tail: tailOf(common),
    bufferLimit: bodyBufferLimit('envoy', common),
  };
  try {
    return headerRouteListBytes(shared, routes);
  } catch {
    return undefined;
  }
}

class GatewayEntry implements ModelEntry {
  private built: readonly Route[] | undefined;
  restAction?: Matcher_OnMatch;
  grpcAction?: Matcher_OnMatch;
  constructor(
    readonly model: string,
    readonly rest: readonly Route[],
    readonly grpcList: Uint8Array,
    private readonly route: ModelRoute,
    private readonly parts: RouteParts,
  ) {}

  get grpcCount(): number {
    return this.parts.ruleHeaders.length + 1;
  }

  get grpc(): readonly Route[] {
    this.built ??= modelRoutes(this.route, 'envoy', 'grpc', this.parts);
    return this.built;
  }
}

/** The model's entry on the Envoy gateway's catch-all host; `rest`: its REST routes. */
export function gatewayEntry(route: ModelRoute, parts: RouteParts, rest: readonly Route[]): ModelEntry {
  const grpcList = grpcRouteListBytes(route, parts);
  if (grpcList) return new GatewayEntry(route.spec.model, rest, grpcList, route, parts);
  return { model: route.spec.model, rest, grpc: modelRoutes(route, 'envoy', 'grpc', parts) };
}
