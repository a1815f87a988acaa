// The memo encoder against toBinary: the same bytes for every route the golden cases produce and
// for generated ones (empty strings, zero and absent weights, absent optional fields, names whose
// lengths cross varint boundaries, non-ASCII and lone surrogates), the same error for an invalid
// value, walked messages read afresh and memoized ones encoded once.
import { create, toBinary } from '@bufbuild/protobuf';
import { DurationSchema } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import {
  HeaderMatcherSchema,
  type Route,
  RouteListSchema,
  RouteSchema,
} from '../../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import { rng } from '../../../test/helpers/xorshift.js';
import { goldenCaseNames, readGoldenCase } from '../../../test/translate-e2e/golden-cases.js';
import { translate } from '../index.js';
import {
  newClusterWeight,
  newRoute,
  newRouteAction,
  newRouteMatch,
  newWeightedCluster,
} from '../literals.js';
import { MemoEncoder } from './memo-encoder.js';
import { PER_MODEL_ROUTE_TYPES, packedRouteList, routeListBytes } from './route-list.js';

function goldenRoutes(): Route[] {
  const out: Route[] = [];
  for (const name of goldenCaseNames()) {
    const { input, options } = readGoldenCase(name);
    for (const flavor of ['envoy', 'grpc'] as const)
      for (const rc of translate(input, flavor, options).routes)
        for (const vh of rc.virtualHosts) out.push(...vh.routes);
    // The matcher tree's entries hold the routes packed; the tree option builds them.
    const tree = translate(input, 'envoy', { ...options, gatewayRouteMatcher: 'tree' });
    for (const rc of tree.routes) for (const vh of rc.virtualHosts) out.push(...vh.routes);
  }
  return out;
}

const TEXTS = [
  '',
  'a',
  'model-1',
  'ü-модель',
  '模型',
  '\ud83d\ude80',
  'lone\ud800',
  'x'.repeat(127),
  'y'.repeat(128),
];
const SHARED_TIMEOUT = create(DurationSchema, { seconds: 30n });
const SHARED_HEADER = create(HeaderMatcherSchema, {
  name: 'x-cohort',
  headerMatchSpecifier: { case: 'stringMatch', value: { matchPattern: { case: 'exact', value: 'beta' } } },
});

function generatedRoute(r: () => number): Route {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const match = newRouteMatch();
  const which = r();
  if (which < 0.3) match.pathSpecifier = { case: 'prefix', value: pick(TEXTS) };
  else if (which < 0.6)
    match.pathSpecifier = { case: 'pathSeparatedPrefix', value: `/v2/models/${pick(TEXTS)}` };
  match.headers =
    r() < 0.5
      ? []
      : [SHARED_HEADER, create(HeaderMatcherSchema, { name: pick(TEXTS), invertMatch: r() < 0.5 })];
  const action = newRouteAction();
  if (r() < 0.5) action.clusterSpecifier = { case: 'cluster', value: pick(TEXTS) };
  else {
    const n = Math.floor(r() * 4);
    const wc = newWeightedCluster(
      Array.from({ length: n }, () => newClusterWeight(pick(TEXTS), pick([0, 1, 5, 127, 128, 1_000_000]))),
    );
    if (r() < 0.5) wc.totalWeight = pick([0, 100, 300]);
    if (r() < 0.3) delete (wc.clusters[0] as { weight?: number } | undefined)?.weight;
    action.clusterSpecifier = { case: 'weightedClusters', value: wc };
  }
  if (r() < 0.5) action.timeout = SHARED_TIMEOUT;
  const route = newRoute(pick(TEXTS), match, action);
  if (r() < 0.3) route.perRequestBufferLimitBytes = pick([0, 1, 65_536]);
  return route;
}

describe('memo encoder', () => {
  const encoder = new MemoEncoder(PER_MODEL_ROUTE_TYPES);

  it('encodes every golden route and route list as toBinary does', () => {
    const routes = goldenRoutes();
    expect(routes.length).toBeGreaterThan(100);
    const fallbacks = encoder.fallbacks;
    for (const route of routes)
      expect(encoder.encode(RouteSchema, route)).toEqual(toBinary(RouteSchema, route));
    // Walked, not handed to toBinary: every shape the translator builds is covered.
    expect(encoder.fallbacks).toBe(fallbacks);
    const list = create(RouteListSchema, { routes });
    expect(routeListBytes(routes)).toEqual(toBinary(RouteListSchema, list));
  });

  it('encodes generated routes as toBinary does', () => {
    const r = rng(20_261_130);
    for (let i = 0; i < 2_000; i++) {
      const routes = Array.from({ length: Math.floor(r() * 4) }, () => generatedRoute(r));
      for (const route of routes)
        expect(encoder.encode(RouteSchema, route)).toEqual(toBinary(RouteSchema, route));
      expect(routeListBytes(routes)).toEqual(toBinary(RouteListSchema, create(RouteListSchema, { routes })));
    }
  });

  it('packs a route list as anyPack does', () => {
    const routes = [generatedRoute(rng(7)), generatedRoute(rng(8))];
    const packed = packedRouteList(routes);
    expect(packed.typeUrl).toBe('type.googleapis.com/envoy.config.route.v3.RouteList');
    expect(packed.value).toEqual(toBinary(RouteListSchema, create(RouteListSchema, { routes })));
  });

  it('reads a walked message afresh on every call', () => {
    const route = generatedRoute(rng(3));
    const before = encoder.encode(RouteSchema, route);
    route.name = `${route.name}-renamed`;
    const after = encoder.encode(RouteSchema, route);
    expect(after).not.toEqual(before);
    expect(after).toEqual(toBinary(RouteSchema, route));
  });

  it('encodes a shared sub-message once, by identity', () => {
    const timeout = create(DurationSchema, { seconds: 5n });
    const action = newRouteAction();
    action.timeout = timeout;
    const route = newRoute('r', newRouteMatch(), action);
    const first = encoder.encode(RouteSchema, route);
    // Mutating a memoized message breaks the contract; it shows the bytes came from the memo.
    timeout.seconds = 6n;
    expect(encoder.encode(RouteSchema, route)).toEqual(first);
    expect(toBinary(RouteSchema, route)).not.toEqual(first);
  });

  it('falls back to toBinary for what it does not walk, and throws its error for invalid values', () => {
    const route = newRoute('r', newRouteMatch(), newRouteAction());
    route.metadata = {
      $typeName: 'envoy.config.core.v3.Metadata',
      filterMetadata: { f: { k: 'v' } },
      typedFilterMetadata: {},
    };
    expect(encoder.encode(RouteSchema, route)).toEqual(toBinary(RouteSchema, route));
    const fallbacks = encoder.fallbacks;
    const bad = newRoute('r', newRouteMatch(), newRouteAction());
    bad.perRequestBufferLimitBytes = Number.NaN;
    expect(() => toBinary(RouteSchema, bad)).toThrow();
    expect(() => encoder.encode(RouteSchema, bad)).toThrow(
      (() => {
        try {
          toBinary(RouteSchema, bad);
        } catch (e) {
          return (e as Error).message;
        }
        return 'no error';
      })(),
    );
    const foreign = { ...newRouteMatch() } as unknown as Route;
    expect(() => encoder.encode(RouteSchema, foreign)).toThrow(/cannot use/);
    expect(encoder.fallbacks).toBe(fallbacks + 2);
  });
});
