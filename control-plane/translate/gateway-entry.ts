// A model's entry on the Envoy gateway's catch-all host (route-matcher.ts): its REST routes,
// and its gRPC routes, each also written packed (encode/gateway-route-list.ts), which is the
// only form the matcher tree reads. The gRPC routes are built as messages only when read:
// by the list form of the host (fewer models than the tree is for), or for a model with access
// rules, whose routes carry per-route filter configs the writer does not write.
import type { Route, RouteAction } from '../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import type { Matcher_OnMatch } from '../../protos/gen/xds/type/matcher/v3/matcher_pb.js';
import type { ModelRoute } from '../policy/types.js';
import { NONE, UNSET } from './empties.js';
import { gatewayRouteListBytes, type ListedRoute } from './encode/gateway-route-list.js';
import { MODEL_HEADER } from './names.js';
import { bodyBufferLimit, type RouteActionCommon, routeActionCommon } from './route-action.js';
import type { ModelEntry } from './route-matcher.js';
import { action, modelRoutes, type RouteParts, restPathOf, targetsOf } from './routes.js';

// The action of a model's routes without its target, per shared common fields: the tail every
// route of a packed list writes after its target.
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
 * The packed form of `modelRoutes(route, 'envoy', entry, parts)`, written without building or
 * walking the routes (encode/gateway-route-list.ts); undefined where only the messages will do:
 * a model with access rules (per-route filter configs), or a value the writer leaves to toBinary.
 */
function routeListBytes(
  route: ModelRoute,
  parts: RouteParts,
  entry: 'grpc' | 'rest',
): Uint8Array | undefined {
  const { spec } = route;
  if (spec.access) return undefined;
  const common = routeActionCommon(spec, 'envoy', entry);
  const targets = targetsOf(parts, route, 'envoy', entry);
  const prefix = `${spec.model}/${entry}`;
  const routes: ListedRoute[] = [];
  for (let i = 0; i < parts.ruleHeaders.length; i++)
    routes.push({ name: `${prefix}/match-${i}`, headers: parts.ruleHeaders[i]!, target: targets.rules[i]! });
  routes.push({ name: `${prefix}/default`, headers: NONE, target: targets.split });
  try {
    return gatewayRouteListBytes(
      {
        match:
          entry === 'grpc'
            ? { header: MODEL_HEADER, value: spec.model }
            : { pathPrefix: restPathOf(parts, spec.model).value },
        tail: tailOf(common),
        bufferLimit: bodyBufferLimit('envoy', common),
      },
      routes,
    );
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
    readonly restList: Uint8Array | undefined,
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
  const grpcList = routeListBytes(route, parts, 'grpc');
  if (grpcList)
    return new GatewayEntry(
      route.spec.model,
      rest,
      routeListBytes(route, parts, 'rest'),
      grpcList,
      route,
      parts,
    );
  return { model: route.spec.model, rest, grpc: modelRoutes(route, 'envoy', 'grpc', parts) };
}
