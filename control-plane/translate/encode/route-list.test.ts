// The route list's encoder: a route, a list and the packed Any as toBinary and anyPack write
// them, and the per-model types walked rather than memoized. toBinary is wrapped to count its
// calls: a per-model type left out of the walked set would be memoized, which costs a toBinary
// call per fresh message and serves stale bytes once such a message changes.
import { create, type DescMessage, type MessageShape, toBinary } from '@bufbuild/protobuf';
import { anyPack, DurationSchema } from '@bufbuild/protobuf/wkt';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  HeaderMatcherSchema,
  type Route,
  RouteAction_RequestMirrorPolicySchema,
  RouteListSchema,
  RouteSchema,
} from '../../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import { StringMatcherSchema } from '../../../protos/gen/envoy/type/matcher/v3/string_pb.js';
import {
  newClusterWeight,
  newRoute,
  newRouteAction,
  newRouteMatch,
  newWeightedCluster,
} from '../literals.js';
import { PER_MODEL_ROUTE_TYPES, packedRouteList, routeBytes, routeListBytes } from './route-list.js';

const calls = vi.hoisted(() => ({ toBinary: 0 }));

vi.mock('@bufbuild/protobuf', async (importOriginal) => {
  const mod = await importOriginal<typeof import('@bufbuild/protobuf')>();
  return {
    ...mod,
    toBinary: <D extends DescMessage>(desc: D, msg: MessageShape<D>, opts?: object) => {
      calls.toBinary++;
      return mod.toBinary(desc, msg, opts);
    },
  };
});

/** A route made of every per-model type and nothing else: no sub-message to memoize. */
function perModelRoute(name: string): Route {
  const match = newRouteMatch();
  match.pathSpecifier = { case: 'prefix', value: `/v2/models/${name}` };
  match.headers = [
    create(HeaderMatcherSchema, {
      name: 'x-model',
      headerMatchSpecifier: {
        case: 'stringMatch',
        value: create(StringMatcherSchema, { matchPattern: { case: 'exact', value: name } }),
      },
    }),
  ];
  const action = newRouteAction();
  action.clusterSpecifier = {
    case: 'weightedClusters',
    value: newWeightedCluster([newClusterWeight(`${name}-a`, 90), newClusterWeight(`${name}-b`, 10)]),
  };
  action.requestMirrorPolicies = [
    create(RouteAction_RequestMirrorPolicySchema, { cluster: `${name}-shadow` }),
  ];
  return newRoute(name, match, action);
}

function weighted(route: Route) {
  const action = route.action.value as ReturnType<typeof newRouteAction>;
  return action.clusterSpecifier.value as ReturnType<typeof newWeightedCluster>;
}

describe('route list encoding', () => {
  beforeEach(() => {
    calls.toBinary = 0;
  });

  it('writes a route as toBinary does', () => {
    const route = perModelRoute('m1');
    expect(routeBytes(route)).toEqual(toBinary(RouteSchema, route));
    expect(routeBytes(route).length).toBeGreaterThan(0);
  });

  it('packs a route list as anyPack does', () => {
    const routes = [perModelRoute('m1'), perModelRoute('m2')];
    expect(packedRouteList(routes)).toEqual(anyPack(RouteListSchema, create(RouteListSchema, { routes })));
  });

  it('walks every per-model type: no toBinary call for a route list made only of them', () => {
    expect(PER_MODEL_ROUTE_TYPES.size).toBe(9);
    const routes = [perModelRoute('m1'), perModelRoute('m2')];
    calls.toBinary = 0;
    const bytes = routeListBytes(routes);
    expect(calls.toBinary).toBe(0);
    routeBytes(perModelRoute('m3'));
    expect(calls.toBinary).toBe(0);
    expect(bytes).toEqual(toBinary(RouteListSchema, create(RouteListSchema, { routes })));
  });

  it('encodes a shared sub-message with toBinary once, then writes it from the memo', () => {
    const timeout = create(DurationSchema, { seconds: 30n });
    const withTimeout = (name: string) => {
      const route = perModelRoute(name);
      (route.action.value as ReturnType<typeof newRouteAction>).timeout = timeout;
      return route;
    };
    const first = [withTimeout('m1')];
    expect(routeListBytes(first)).toEqual(
      toBinary(RouteListSchema, create(RouteListSchema, { routes: first })),
    );
    calls.toBinary = 0;
    routeListBytes([withTimeout('m2'), withTimeout('m3')]);
    expect(calls.toBinary).toBe(0);
  });

  it('reads every per-model message afresh', () => {
    const route = perModelRoute('m1');
    const routes = [route];
    routeListBytes(routes);
    const match = route.match!;
    const action = route.action.value as ReturnType<typeof newRouteAction>;
    const header = match.headers[0]!;
    const edits: Array<() => void> = [
      () => {
        route.name = 'renamed';
      },
      () => {
        match.pathSpecifier = { case: 'prefix', value: '/other' };
      },
      () => {
        header.name = 'x-other';
      },
      () => {
        const sm = header.headerMatchSpecifier.value as ReturnType<typeof create<typeof StringMatcherSchema>>;
        sm.matchPattern = { case: 'exact', value: 'other' };
      },
      () => {
        action.prefixRewrite = '/rewritten';
      },
      () => {
        action.requestMirrorPolicies[0]!.cluster = 'other-shadow';
      },
      () => {
        weighted(route).totalWeight = 100;
      },
      () => {
        weighted(route).clusters[0]!.name = 'other-a';
      },
    ];
    for (const edit of edits) {
      const before = routeListBytes(routes);
      edit();
      const after = routeListBytes(routes);
      expect(after).not.toEqual(before);
      expect(after).toEqual(toBinary(RouteListSchema, create(RouteListSchema, { routes })));
    }
  });
});
