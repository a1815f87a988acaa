// The gateway's catch-all host as a matcher tree picks the very route the route list picks
// (followed with Envoy's rules in test/helpers/envoy-route-match.ts), with models whose names
// prefix each other, match rules, query strings and requests that name a model that does not
// exist, but for the one documented kind of request (route-matcher.ts); and `auto` switches to
// the tree at MATCHER_TREE_MIN_ROUTES.
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import type { Issue } from '../../kernel/errors/index.js';
import type { VirtualHost } from '../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import { RouteConfigurationSchema } from '../../protos/gen/envoy/config/route/v3/route_pb.js';
import { type HttpRequest, routeIn } from '../../test/helpers/envoy-route-match.js';
import { type ModelRoute, validatePolicy } from '../policy/index.js';
import { checkResources } from '../validate/index.js';
import { routeClusters } from '../validate/references.js';
import { newRoute, newRouteAction, newRouteMatch } from './literals.js';
import type { GatewayRouteMatcher } from './options.js';
import { catchAllVirtualHost, MATCHER_TREE_MIN_ROUTES, routeMatcher } from './route-matcher.js';
import { translate } from './translator.js';

function model(name: string, match = false): ModelRoute {
  const issues: Issue[] = [];
  const r = validatePolicy(
    {
      apiVersion: 'switchyard.dev/v1alpha1',
      kind: 'ModelRoute',
      metadata: { name },
      spec: {
        model: name,
        versions: [
          { name: 'v1', weight: 100 },
          { name: 'v2', weight: 0 },
        ],
        ...(match ? { match: [{ headers: { 'x-cohort': { exact: 'beta' } }, version: 'v2' }] } : {}),
      },
    },
    issues,
  );
  if (!r) throw new Error(issues.map((i) => i.message).join('; '));
  return r;
}

function catchAll(routes: ModelRoute[], gatewayRouteMatcher: GatewayRouteMatcher): VirtualHost {
  const set = translate({ routes, endpoints: new Map() }, 'envoy', { gatewayRouteMatcher });
  expect(checkResources(set)).toEqual([]);
  return set.routes[0]!.virtualHosts.find((v) => v.name === 'all-models')!;
}

const MODELS = [model('foo', true), model('foobar'), model('foo.v2'), model('bar', true)];

const rest = (path: string, headers: Record<string, string> = {}): HttpRequest => ({
  authority: 'gw',
  path,
  headers,
});
const grpc = (headers: Record<string, string>): HttpRequest => ({
  authority: 'gw',
  path: '/inference.GRPCInferenceService/ModelInfer',
  headers,
});

const FOOX_WITH_HEADER = rest('/v2/models/foox/infer', { 'x-model-name': 'bar' });

const REQUESTS: HttpRequest[] = [
  rest('/v2/models/foo/infer'),
  rest('/v2/models/foo/infer', { 'x-cohort': 'beta' }),
  rest('/v2/models/foo'),
  rest('/v2/models/foo?verbose=1'),
  rest('/v2/models/foobar/infer'),
  rest('/v2/models/foobar'),
  rest('/v2/models/foo.v2/ready'),
  rest('/v2/models/bar/versions/v1/infer', { 'x-cohort': 'beta' }),
  // Models that do not exist, with and without a gRPC header naming one that does.
  rest('/v2/models/foox/infer'),
  rest('/v2/models/fo/infer'),
  FOOX_WITH_HEADER,
  rest('/v2/models'),
  rest('/v2/health/ready'),
  grpc({ 'x-model-name': 'foo' }),
  grpc({ 'x-model-name': 'foo', 'x-cohort': 'beta' }),
  grpc({ 'x-model-name': 'foobar', 'x-cohort': 'beta' }),
  grpc({ 'x-model-name': 'bar', 'x-cohort': 'alpha' }),
  grpc({ 'x-model-name': 'nope' }),
  grpc({}),
];

describe('the gateway catch-all host as a matcher tree', () => {
  it('picks the route the route list picks, for every request', () => {
    const list = catchAll(MODELS, 'list');
    const tree = catchAll(MODELS, 'tree');
    expect(list.matcher).toBeUndefined();
    expect(tree.routes).toEqual([]);
    const names = (vh: VirtualHost) => REQUESTS.map((r) => routeIn(vh, r).route?.name ?? null);
    // The one difference: a REST path under a model that does not exist but extends one that
    // does, with a gRPC header. The list sends it to bar's gRPC routes; the tree answers 404.
    const DIFFERENT = REQUESTS.indexOf(FOOX_WITH_HEADER);
    expect(names(list)[DIFFERENT]).toBe('bar/grpc/default');
    expect(names(tree)[DIFFERENT]).toBeNull();
    const others = (vh: VirtualHost) => names(vh).filter((_, i) => i !== DIFFERENT);
    expect(others(tree)).toEqual(others(list));
    // The walk is not vacuous: each kind of request lands where it should.
    expect(names(tree).slice(0, 13)).toEqual([
      'foo/rest/default',
      'foo/rest/match-0',
      'foo/rest/default',
      'foo/rest/default',
      'foobar/rest/default',
      'foobar/rest/default',
      'foo.v2/rest/default',
      'bar/rest/match-0',
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(names(tree).slice(13)).toEqual([
      'foo/grpc/default',
      'foo/grpc/match-0',
      'foobar/grpc/default',
      'bar/grpc/default',
      null,
      null,
    ]);
  });

  it('survives the wire: the tree host decoded from its bytes picks the same routes', () => {
    // What a proxy receives is the encoded route configuration, not the objects built here.
    const set = translate({ routes: MODELS, endpoints: new Map() }, 'envoy', { gatewayRouteMatcher: 'tree' });
    const bytes = toBinary(RouteConfigurationSchema, set.routes[0]!);
    const decoded = fromBinary(RouteConfigurationSchema, bytes).virtualHosts.find(
      (v) => v.name === 'all-models',
    )!;
    expect(decoded.matcher).toBeDefined();
    const names = (vh: VirtualHost) => REQUESTS.map((r) => routeIn(vh, r).route?.name ?? null);
    expect(names(decoded)).toEqual(names(catchAll(MODELS, 'tree')));
    expect(names(decoded)).toContain('foo/grpc/match-0');
  });

  it('names the same clusters through the tree as through the list (consistency, make-before-break)', () => {
    // The catch-all host alone: the models' own hosts name the same clusters as plain lists.
    const clusters = (m: GatewayRouteMatcher) => routeClusters({ virtualHosts: [catchAll(MODELS, m)] });
    const viaList = clusters('list');
    expect(viaList).toContain('bar/v2/http');
    expect(viaList).toContain('foobar/v1');
    expect(clusters('tree')).toEqual(viaList);
  });

  it('evaluates only the named model routes, however many models there are', () => {
    const many = Array.from({ length: 300 }, (_, i) => model(`m${i}`));
    const list = catchAll(many, 'list');
    const tree = catchAll(many, 'tree');
    // m99 sorts last: the list evaluates every REST route, then every gRPC route before it.
    const req = grpc({ 'x-model-name': 'm99' });
    expect(routeIn(list, req).evaluated).toBe(600);
    expect(routeIn(tree, req)).toMatchObject({ evaluated: 1, route: { name: 'm99/grpc/default' } });
  });

  it('auto: a route list below MATCHER_TREE_MIN_ROUTES routes, a tree from there on', () => {
    const models = (n: number) => Array.from({ length: n }, (_, i) => model(`m${i}`));
    // Two routes per model without match rules (REST and gRPC).
    const below = catchAll(models(MATCHER_TREE_MIN_ROUTES / 2 - 1), 'auto');
    const at = catchAll(models(MATCHER_TREE_MIN_ROUTES / 2), 'auto');
    expect(below.matcher).toBeUndefined();
    expect(below.routes).toHaveLength(MATCHER_TREE_MIN_ROUTES - 2);
    expect(at.matcher).toBeDefined();
    expect(at.routes).toEqual([]);
  });
});

describe('routeMatcher levels', () => {
  const r = (name: string) => newRoute(name, newRouteMatch(), newRouteAction());
  /** Each level of the tree as `input: keys`, outermost first. */
  const levels = (entries: Parameters<typeof routeMatcher>[0]) => {
    const out: string[] = [];
    let m = routeMatcher(entries);
    while (m) {
      if (m.matcherType.case !== 'matcherTree') throw new Error(String(m.matcherType.case));
      const t = m.matcherType.value;
      const map =
        t.treeType.case === 'exactMatchMap' || t.treeType.case === 'prefixMatchMap'
          ? t.treeType.value.map
          : {};
      out.push(`${t.input?.name}: ${Object.keys(map).join(',')}`);
      const next = m.onNoMatch?.onMatch;
      m = next?.case === 'matcher' ? next.value : undefined;
    }
    return out;
  };

  it('leaves out a level no model has routes for: a map needs an entry', () => {
    expect(levels([])).toEqual([]);
    expect(levels([{ model: 'a', rest: [r('a/rest')], grpc: [] }])).toEqual([
      'request-header :path: /v2/models/a',
    ]);
    expect(levels([{ model: 'a', rest: [], grpc: [r('a/grpc')] }])).toEqual([
      'request-header x-model-name: a',
    ]);
    expect(
      levels([
        { model: 'a', rest: [r('a/rest')], grpc: [] },
        { model: 'b', rest: [], grpc: [r('b/grpc')] },
      ]),
    ).toEqual(['request-header :path: /v2/models/a', 'request-header x-model-name: b']);
  });

  it("keeps a model's packed actions while its entry is unchanged, and packs a new entry anew", () => {
    // The translator hands in the same memoized entry while a policy is unchanged; the actions
    // packed for it are reused, so no next tree packs or encodes that model's routes again.
    const actionsOf = (entry: Parameters<typeof routeMatcher>[0][number]) => {
      const outer = routeMatcher([entry]);
      if (outer?.matcherType.case !== 'matcherTree') throw new Error('no tree');
      const inner = outer.onNoMatch?.onMatch;
      if (inner?.case !== 'matcher' || inner.value.matcherType.case !== 'matcherTree')
        throw new Error('one level');
      const byPath = outer.matcherType.value.treeType;
      const byHeader = inner.value.matcherType.value.treeType;
      if (byPath.case !== 'prefixMatchMap' || byHeader.case !== 'exactMatchMap') throw new Error('map kinds');
      return [byPath.value.map['/v2/models/a'], byHeader.value.map.a];
    };
    const entry = { model: 'a', rest: [r('a/rest')], grpc: [r('a/grpc')] };
    const first = actionsOf(entry);
    const again = actionsOf(entry);
    expect(again[0]).toBe(first[0]);
    expect(again[1]).toBe(first[1]);
    const fresh = actionsOf({ model: 'a', rest: [r('a/rest')], grpc: entry.grpc });
    expect(fresh[0]).not.toBe(first[0]);
    expect(fresh[0]).toStrictEqual(first[0]);
    expect(fresh[1]).toStrictEqual(first[1]);
    // Through the translator: an unchanged policy keeps its entry, so its actions too.
    const tree = (set: ReturnType<typeof translate>) => set.routes[0]!.virtualHosts.at(-1)!.matcher;
    const t1 = tree(
      translate({ routes: MODELS, endpoints: new Map() }, 'envoy', { gatewayRouteMatcher: 'tree' }),
    );
    const t2 = tree(
      translate({ routes: MODELS, endpoints: new Map() }, 'envoy', { gatewayRouteMatcher: 'tree' }),
    );
    const byPath = (m: typeof t1) =>
      m?.matcherType.case === 'matcherTree' && m.matcherType.value.treeType.case === 'prefixMatchMap'
        ? m.matcherType.value.treeType.value.map['/v2/models/foo']
        : undefined;
    expect(byPath(t1)).toBeDefined();
    expect(byPath(t2)).toBe(byPath(t1));
  });

  it('serves a tree without models as an empty route list', () => {
    const vh = catchAllVirtualHost([], true);
    expect([vh.name, vh.domains]).toEqual(['all-models', ['*']]);
    expect(vh.matcher).toBeUndefined();
    expect(vh.routes).toEqual([]);
  });
});
