// A model's REST and gRPC routes on the gateway's catch-all host, written packed without walking
// messages, against the routes routes.ts builds: for generated policies (match rules over every
// kind of header condition, weighted and single targets, rules naming undeclared versions,
// retries, timeouts, sticky hashing, mirroring, non-ASCII header values and long names) each
// written list is toBinary's of the built routes, the tree packs it as it packed the routes, and
// the gRPC routes are built only when read. Models with access rules keep the message path.
import { create, toBinary } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import type { Issue } from '../../../kernel/errors/index.js';
import { seededRandom } from '../../../kernel/runtime/seeded-random.js';
import {
  type Route,
  RouteActionSchema,
  RouteListSchema,
  RouteSchema,
  WeightedCluster_ClusterWeightSchema,
  WeightedClusterSchema,
} from '../../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import { type ModelRoute, validatePolicy } from '../../policy/index.js';
import { gatewayEntry } from '../gateway-entry.js';
import { restPath } from '../names.js';
import { routeMatcher } from '../route-matcher.js';
import { modelRoutes, routeParts } from '../routes.js';
import { gatewayRouteListBytes } from './gateway-route-list.js';

function route(model: string, spec: Record<string, unknown>): ModelRoute {
  const issues: Issue[] = [];
  const r = validatePolicy(
    {
      apiVersion: 'switchyard.dev/v1alpha1',
      kind: 'ModelRoute',
      metadata: { name: 'p' },
      spec: { model, ...spec },
    },
    issues,
  );
  if (!r) throw new Error(JSON.stringify(issues));
  return r;
}

const MODELS = ['m', 'llama-3.1-8b', 'a.b_c', `x${'y'.repeat(60)}`];
const CONDITIONS = [
  { exact: 'beta' },
  { prefix: 'eu-' },
  { regex: '^a+$' },
  { present: true },
  { present: false },
  { exact: 'é'.repeat(70) },
];
const RETRIES = [
  undefined,
  { attempts: 0 },
  { attempts: 3, on: ['5xx', 'reset'] },
  { attempts: 1, on: ['unavailable'], perTryTimeout: '500ms', backoff: { baseInterval: '100ms' } },
  { attempts: 2, on: ['cancelled', 'retriable-4xx'], backoff: { baseInterval: '10ms', maxInterval: '1s' } },
];

function generated(seed: number): ModelRoute {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const n = 1 + Math.floor(rnd() * 3);
  const versions = Array.from({ length: n }, (_, i) => ({
    name: `v${i + 1}`,
    weight: n === 1 ? 100 : pick([0, 1, 5, 50, 100]),
  }));
  if (versions.every((v) => v.weight === 0)) versions[0]!.weight = 10;
  const match = Array.from({ length: Math.floor(rnd() * 3) }, () => ({
    headers: Object.fromEntries(
      Array.from({ length: 1 + Math.floor(rnd() * 2) }, (_, j) => [
        `x-h${j}-${pick(['a', 'b'])}`,
        pick(CONDITIONS),
      ]),
    ),
    version: pick(versions).name,
  }));
  const retries = pick(RETRIES);
  return route(pick(MODELS), {
    versions,
    match,
    ...(retries ? { retries } : {}),
    ...(rnd() < 0.5 ? { timeout: pick(['1s', '30s', '1.5s']) } : {}),
    ...(rnd() < 0.3 ? { sticky: { header: 'x-session' } } : {}),
    ...(n > 1 && rnd() < 0.4 ? { mirror: { version: versions.at(-1)!.name, percent: pick([5, 12.5]) } } : {}),
  });
}

const packed = (routes: readonly Route[]) =>
  Buffer.from(toBinary(RouteListSchema, create(RouteListSchema, { routes: routes as Route[] })));

describe('the gateway’s route lists written packed', () => {
  it('are toBinary’s of the routes built for them, for generated policies', () => {
    let written = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const r = generated(seed);
      const parts = routeParts(r, 'envoy');
      const rest = modelRoutes(r, 'envoy', 'rest', parts);
      const entry = gatewayEntry(r, parts, rest);
      const built = modelRoutes(r, 'envoy', 'grpc', routeParts(r, 'envoy'));
      expect(entry.grpcList, `seed ${seed}`).toBeDefined();
      expect(Buffer.from(entry.grpcList!).equals(packed(built)), `seed ${seed}`).toBe(true);
      expect(entry.restList, `seed ${seed}`).toBeDefined();
      expect(Buffer.from(entry.restList!).equals(packed(rest)), `seed ${seed}`).toBe(true);
      expect(entry.grpcCount).toBe(built.length);
      // Read, the routes are the ones built directly.
      expect(entry.grpc).toEqual(built);
      written++;
    }
    expect(written).toBe(400);
  });

  it('pack into the tree as the built routes did', () => {
    const r = generated(7);
    const parts = routeParts(r, 'envoy');
    const rest = modelRoutes(r, 'envoy', 'rest', parts);
    const entry = gatewayEntry(r, parts, rest);
    const byBytes = routeMatcher([entry]);
    const byMessages = routeMatcher([
      { model: entry.model, rest, grpc: modelRoutes(r, 'envoy', 'grpc', parts) },
    ]);
    expect(byBytes).toEqual(byMessages);
    const next = byBytes!.onNoMatch!.onMatch;
    if (next.case !== 'matcher' || next.value.matcherType.case !== 'matcherTree')
      throw new Error('no header tree');
    const byHeader = next.value.matcherType.value.treeType;
    if (byHeader.case !== 'exactMatchMap') throw new Error(String(byHeader.case));
    const grpcAction = byHeader.value.map[r.spec.model]?.onMatch;
    expect(grpcAction?.case === 'action' && grpcAction.value.typedConfig).toEqual(
      anyPack(RouteListSchema, create(RouteListSchema, { routes: entry.grpc as never })),
    );
    if (byBytes!.matcherType.case !== 'matcherTree') throw new Error('no path tree');
    const byPath = byBytes!.matcherType.value.treeType;
    if (byPath.case !== 'prefixMatchMap') throw new Error(String(byPath.case));
    const restAction = byPath.value.map[restPath(r.spec.model)]?.onMatch;
    expect(restAction?.case === 'action' && restAction.value.typedConfig).toEqual(
      anyPack(RouteListSchema, create(RouteListSchema, { routes: rest })),
    );
  });

  it('are built as messages for a model with access rules', () => {
    const r = route('secure', {
      versions: [{ name: 'v1' }],
      access: { rateLimit: { model: { rps: 5 } } },
    });
    const parts = routeParts(r, 'envoy');
    const entry = gatewayEntry(r, parts, modelRoutes(r, 'envoy', 'rest', parts));
    expect(entry.grpcList).toBeUndefined();
    expect(entry.restList).toBeUndefined();
    expect(entry.grpc.map((x) => x.name)).toEqual(['secure/grpc/default']);
    // What access adds to a route, which the writer does not write.
    expect(entry.grpc[0]!.requestHeadersToRemove.length).toBeGreaterThan(0);
  });

  it('write a split with a zero weight and a total, and one with fields of its own, as toBinary does', () => {
    const weight = (name: string, w: number | undefined, clusterHeader = '') =>
      create(WeightedCluster_ClusterWeightSchema, { name, weight: w, clusterHeader });
    const splits = [
      create(WeightedClusterSchema, {
        clusters: [weight('a', 0), weight('b', 3), weight('c', undefined)],
        totalWeight: 3,
      }),
      create(WeightedClusterSchema, { clusters: [weight('', 2), weight('x', 1, 'x-cluster')] }),
    ];
    for (const split of splits) {
      const target = { case: 'weightedClusters' as const, value: split };
      const bytes = gatewayRouteListBytes(
        { match: { pathPrefix: '/v2/models/m' }, tail: create(RouteActionSchema), bufferLimit: undefined },
        [{ name: 'm/rest/default', headers: [], target }],
      );
      const expected = create(RouteListSchema, {
        routes: [
          create(RouteSchema, {
            name: 'm/rest/default',
            match: { pathSpecifier: { case: 'pathSeparatedPrefix', value: '/v2/models/m' } },
            action: { case: 'route', value: { clusterSpecifier: target } },
          }),
        ],
      });
      expect(Buffer.from(bytes).equals(Buffer.from(toBinary(RouteListSchema, expected)))).toBe(true);
    }
  });
});
