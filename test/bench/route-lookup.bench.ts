// How Envoy finds a model's route in the gateway's `all-models` virtual host at 10,000 models:
// Envoy evaluates a virtual host's routes in order and takes the first match, so the cost grows
// with the model's position; a `matcher` tree (an exact map on x-model-name, a prefix map on
// :path) would look the model up directly. This runs both strategies over the routes the
// translator serves, with Envoy's match rules (path_separated_prefix, prefix + exact header), for
// REST and gRPC requests to uniformly random models. docs/TRANSLATION.md, "Route lookup at
// 10,000 models". ROUTE_BENCH_MODELS and ROUTE_BENCH_REQUESTS (default 2,000) size the run.
import { renderTable } from '../../control-plane/cli/table.js';
import { type ModelRoute, validatePolicy } from '../../control-plane/policy/index.js';
import { translate } from '../../control-plane/translate/index.js';
import type { Issue } from '../../kernel/errors/index.js';
import type { Route } from '../../protos/gen/envoy/config/route/v3/route_components_pb.js';

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
const set = translate({ routes, endpoints: new Map() }, 'envoy');
const all = set.routes[0]!.virtualHosts.find((vh) => vh.name === 'all-models')!.routes;

interface Request {
  readonly path: string;
  readonly model?: string;
}

function matches(r: Route, req: Request): boolean {
  const m = r.match!;
  const p = m.pathSpecifier;
  if (p.case === 'pathSeparatedPrefix') {
    if (!(req.path === p.value || req.path.startsWith(`${p.value}/`))) return false;
  } else if (p.case === 'prefix') {
    if (!req.path.startsWith(p.value)) return false;
  } else return false;
  for (const h of m.headers) {
    const s = h.headerMatchSpecifier;
    const v = h.name === 'x-model-name' ? req.model : undefined;
    if (s.case === 'stringMatch' && s.value.matchPattern.case === 'exact' && v !== s.value.matchPattern.value)
      return false;
  }
  return true;
}

/** Envoy today: the first route, in order, that matches. */
function linear(req: Request): { route?: Route; scanned: number } {
  for (let i = 0; i < all.length; i++) if (matches(all[i]!, req)) return { route: all[i], scanned: i + 1 };
  return { scanned: all.length };
}

// The matcher-tree shape: x-model-name exact map, else the model segment of /v2/models/<m>.
const byModel = new Map<string, { rest: Route[]; grpc: Route[] }>();
for (const r of all) {
  const model = r.name.slice(0, r.name.indexOf('/'));
  const e = byModel.get(model) ?? { rest: [], grpc: [] };
  (r.name.startsWith(`${model}/rest/`) ? e.rest : e.grpc).push(r);
  byModel.set(model, e);
}
function tree(req: Request): { route?: Route; scanned: number } {
  const model = req.model ?? req.path.split('/')[3];
  const e = model === undefined ? undefined : byModel.get(model);
  const list = e ? (req.model ? e.grpc : e.rest) : [];
  for (let i = 0; i < list.length; i++) if (matches(list[i]!, req)) return { route: list[i], scanned: i + 1 };
  return { scanned: list.length };
}

let seed = 42;
const rand = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const requests: Request[] = Array.from({ length: REQUESTS }, (_, i) => {
  const model = `model-${Math.floor(rand() * MODELS)}`;
  return i % 2
    ? { path: `/v2/models/${model}/infer` }
    : { path: '/inference.GRPCInferenceService/ModelInfer', model };
});

function run(name: string, f: (r: Request) => { route?: Route; scanned: number }): string[] {
  let scanned = 0;
  for (const r of requests.slice(0, 50)) f(r); // warm up
  const t0 = process.hrtime.bigint();
  for (const r of requests) {
    const res = f(r);
    if (!res.route) throw new Error(`${name}: no route for ${r.path} ${r.model ?? ''}`);
    scanned += res.scanned;
  }
  const ns = Number(process.hrtime.bigint() - t0) / requests.length;
  return [name, String(all.length), (scanned / requests.length).toFixed(1), `${(ns / 1000).toFixed(2)} µs`];
}

const same = requests.every((r) => linear(r).route === tree(r).route);
process.stdout.write(
  `${renderTable(
    ['lookup', 'routes in all-models', 'routes evaluated / request', 'time / request'],
    [run('linear (route list)', linear), run('matcher tree (maps)', tree)],
  )}\nsame route chosen by both: ${same}\n`,
);
if (!same) process.exit(1);
