// How Envoy finds a model's route in the gateway's `all-models` virtual host at 10,000 models:
// Envoy evaluates a route list in order and takes the first match, so the cost grows with the
// model's position; the matcher tree (gatewayRouteMatcher: tree; prefix and exact maps on :path,
// an exact map on x-model-name) looks the model up directly. Both forms as the translator serves
// them, followed with Envoy's rules (test/helpers/envoy-route-match.ts) for REST and gRPC
// requests to uniformly random models, with the encoded size of each gateway RDS. docs/TRANSLATION.md, "Route lookup at
// 10,000 models". ROUTE_BENCH_MODELS and ROUTE_BENCH_REQUESTS (default 2,000) size the run.
import { clone, toBinary } from '@bufbuild/protobuf';
import { renderTable } from '../../control-plane/cli/table.js';
import { type ModelRoute, validatePolicy } from '../../control-plane/policy/index.js';
import { translate } from '../../control-plane/translate/index.js';
import { GATEWAY_ROUTE_CONFIG } from '../../control-plane/translate/names.js';
import { catchAllVirtualHost, type ModelEntry } from '../../control-plane/translate/route-matcher.js';
import { checkResources } from '../../control-plane/validate/index.js';
import type { Issue } from '../../kernel/errors/index.js';
import {
  type Route,
  RouteSchema,
  type VirtualHost,
} from '../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import {
  type RouteConfiguration,
  RouteConfigurationSchema,
} from '../../protos/gen/envoy/config/route/v3/route_pb.js';
import { type HttpRequest, routeIn } from '../helpers/envoy-route-match.js';

const MODELS = Number(process.env.ROUTE_BENCH_MODELS ?? 10_000);
const REQUESTS = Number(process.env.ROUTE_BENCH_REQUESTS ?? 2_000);

const routes: ModelRoute[] = [];
for (let i = 0; i < MODELS; i++) {
  const issues: Issue[] = [];
  const r = validatePolicy(
    {
      apiVersion: 'switchyard.dev/v1alpha1',
      kind: 'ModelRoute',
      metadata: { name: `m${i}` },
      spec: {
        model: `model-${i}`,
        versions: [
          { name: 'v1', weight: 90 },
          { name: 'v2', weight: 10 },
        ],
      },
    },
    issues,
  );
  if (!r) throw new Error(issues.map((x) => x.message).join('; '));
  routes.push(r);
}
const served = (gatewayRouteMatcher: 'list' | 'tree') =>
  translate({ routes, endpoints: new Map() }, 'envoy', { gatewayRouteMatcher }).routes.find(
    (rc) => rc.name === GATEWAY_ROUTE_CONFIG,
  )!;
const listRc = served('list');
const treeRc = served('tree');
const catchAll = (rc: RouteConfiguration) => rc.virtualHosts.find((vh) => vh.name === 'all-models')!;
const listHost = catchAll(listRc);
const treeHost = catchAll(treeRc);

let seed = 42;
const rand = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const requests = Array.from({ length: REQUESTS }, (_, i): HttpRequest => {
  const model = `model-${Math.floor(rand() * MODELS)}`;
  return i % 2
    ? { authority: 'gateway', path: `/v2/models/${model}/infer`, headers: {} }
    : {
        authority: 'gateway',
        path: '/inference.GRPCInferenceService/ModelInfer',
        headers: { 'x-model-name': model },
      };
});

// What the control plane pays for each form: building the catch-all host from the models'
// routes (fresh route arrays, so nothing packed earlier is reused) and encoding the gateway RDS.
// Median of BUILD_RUNS, the two forms alternating.
const BUILD_RUNS = 5;
const entries: ModelEntry[] = [];
{
  const rest = new Map<string, Route[]>();
  const grpc = new Map<string, Route[]>();
  for (const r of listHost.routes) {
    const [model, kind] = r.name.split('/') as [string, string];
    const into = kind === 'rest' ? rest : grpc;
    into.set(model, [...(into.get(model) ?? []), r]);
  }
  for (const [model, routes] of rest) entries.push({ model, rest: routes, grpc: grpc.get(model) ?? [] });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const buildMs: Record<'list' | 'tree', number[]> = { list: [], tree: [] };
const encodeMs: Record<'list' | 'tree', number[]> = { list: [], tree: [] };
const oneChangedMs: Record<'list' | 'tree', number[]> = { list: [], tree: [] };
const checkMs: Record<'list' | 'tree', number[]> = { list: [], tree: [] };
const recheckMs: Record<'list' | 'tree', number[]> = { list: [], tree: [] };
for (let i = 0; i < BUILD_RUNS; i++)
  for (const form of ['list', 'tree'] as const) {
    // Cloned routes: the PGV checker keeps verdicts per object, and these must be checked cold.
    const copy = (rs: readonly Route[]) => rs.map((r) => clone(RouteSchema, r));
    const fresh = entries.map((e) => ({ model: e.model, rest: copy(e.rest), grpc: copy(e.grpc) }));
    const t0 = performance.now();
    const host = catchAllVirtualHost(fresh, form === 'tree');
    const t1 = performance.now();
    const rc = { ...listRc, virtualHosts: [host] };
    toBinary(RouteConfigurationSchema, rc);
    const t2 = performance.now();
    const issues = checkResources({ listeners: [], routes: [rc], clusters: [], endpoints: [], secrets: [] });
    if (issues.length) throw new Error(`${form}: ${issues[0]!.path}: ${issues[0]!.message}`);
    buildMs[form].push(t1 - t0);
    encodeMs[form].push(t2 - t1);
    checkMs[form].push(performance.now() - t2);
    // An apply changes one model: its routes are new arrays, every other model's are the same.
    const one = fresh.map((e, k) => (k === i ? { ...e, rest: [...e.rest], grpc: [...e.grpc] } : e));
    const t3 = performance.now();
    const again = catchAllVirtualHost(one, form === 'tree');
    const t4 = performance.now();
    checkResources({
      listeners: [],
      routes: [{ ...listRc, virtualHosts: [again] }],
      clusters: [],
      endpoints: [],
      secrets: [],
    });
    oneChangedMs[form].push(t4 - t3);
    recheckMs[form].push(performance.now() - t4);
  }

function run(name: string, host: VirtualHost, rc: RouteConfiguration, form: 'list' | 'tree'): string[] {
  let evaluated = 0;
  for (const r of requests.slice(0, 50)) routeIn(host, r); // warm up
  const t0 = process.hrtime.bigint();
  for (const r of requests) {
    const res = routeIn(host, r);
    if (!res.route) throw new Error(`${name}: no route for ${r.path} ${r.headers['x-model-name'] ?? ''}`);
    evaluated += res.evaluated;
  }
  const ns = Number(process.hrtime.bigint() - t0) / requests.length;
  const bytes = toBinary(RouteConfigurationSchema, rc).length;
  return [
    name,
    (evaluated / requests.length).toFixed(1),
    `${(ns / 1000).toFixed(2)} µs`,
    `${(bytes / 1e6).toFixed(2)} MB`,
    `${median(buildMs[form]).toFixed(1)} ms`,
    `${median(encodeMs[form]).toFixed(1)} ms`,
    `${median(oneChangedMs[form]).toFixed(1)} ms`,
    `${median(checkMs[form]).toFixed(0)} ms`,
    `${median(recheckMs[form]).toFixed(1)} ms`,
  ];
}

const same = requests.every((r) => routeIn(listHost, r).route?.name === routeIn(treeHost, r).route?.name);
process.stdout.write(
  `${MODELS} models, ${listHost.routes.length} routes in all-models, ${REQUESTS} requests\n${renderTable(
    [
      'lookup',
      'routes evaluated / request',
      'time / request',
      'gateway RDS encoded',
      'build catch-all (median)',
      'encode catch-all (median)',
      'rebuild after one model changed (median)',
      'PGV check, cold (median)',
      'PGV check after one model changed (median)',
    ],
    [
      run('linear (route list)', listHost, listRc, 'list'),
      run('matcher tree (served)', treeHost, treeRc, 'tree'),
    ],
  )}\nsame route chosen by both: ${same}\n`,
);
if (!same) process.exit(1);
