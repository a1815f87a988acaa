// Make before break for registry versions: a version backed by the model registry takes no
// traffic while no pod holds it READY (its cluster would have no endpoint, and proxyless gRPC
// fails such calls with UNAVAILABLE). Its weight goes to the route's versions that can take
// traffic, in proportion to their weights (equal shares when all of those are at 0), until its
// first endpoint is ready; then the route carries the weights as written. Versions with static
// or discovered endpoints keep their weight as written: there an empty cluster is the
// operator's to see. Pure; a route whose weights stay as written is returned as is, and an
// adjusted route is the same object as long as the same versions are held back, so the
// translator's memo keeps working (docs/PLACEMENT.md, "Make before break for weights").
import { registryRefOf } from '../policy/registry-ref.js';
import type { ModelRoute, VersionSpec } from '../policy/types.js';
import { takesTraffic, versionEndpoints } from './endpoints.js';
import type { EndpointTable } from './types.js';

const memo = new WeakMap<ModelRoute, { readonly key: string; readonly route: ModelRoute }>();

function hasReadyEndpoint(route: ModelRoute, v: VersionSpec, table: EndpointTable): boolean {
  return versionEndpoints(route, v.name, table).some((e) => takesTraffic(route, e));
}

/**
 * `weights` with the entries at `held` set to 0 and their sum shared among `takers` (largest
 * remainder, so the total is kept exactly and ties go to the earlier version).
 */
export function moveWeights(
  weights: readonly number[],
  held: ReadonlySet<number>,
  takers: readonly number[],
): number[] {
  const out = weights.map((w, i) => (held.has(i) ? 0 : w));
  const moved = weights.reduce((n, w, i) => n + (held.has(i) ? w : 0), 0);
  if (moved === 0 || takers.length === 0) return [...weights];
  const base = takers.reduce((n, i) => n + weights[i]!, 0);
  const shareOf = (i: number) => (base > 0 ? (moved * weights[i]!) / base : moved / takers.length);
  let given = 0;
  const rest: { i: number; frac: number }[] = [];
  for (const i of takers) {
    const exact = shareOf(i);
    const whole = Math.floor(exact);
    out[i] = out[i]! + whole;
    given += whole;
    rest.push({ i, frac: exact - whole });
  }
  rest.sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (let k = 0; k < moved - given; k++) out[rest[k % rest.length]!.i]! += 1;
  return out;
}

/** The route as clients should get it now, given which registry versions have ready endpoints. */
export function withReadyWeights(route: ModelRoute, table: EndpointTable): ModelRoute {
  const versions = route.spec.versions;
  const held = new Set<number>();
  const takers: number[] = [];
  versions.forEach((v, i) => {
    if (registryRefOf(v) && !hasReadyEndpoint(route, v, table)) {
      if (v.weight > 0) held.add(i);
    } else takers.push(i);
  });
  if (held.size === 0 || takers.length === 0) return route;
  const key = [...held].join(',');
  const last = memo.get(route);
  if (last?.key === key) return last.route;
  const positive = takers.filter((i) => versions[i]!.weight > 0);
  const weights = moveWeights(
    versions.map((v) => v.weight),
    held,
    positive.length > 0 ? positive : takers,
  );
  const adjusted: ModelRoute = {
    ...route,
    spec: {
      ...route.spec,
      versions: versions.map((v, i) => (v.weight === weights[i] ? v : { ...v, weight: weights[i]! })),
    },
  };
  memo.set(route, { key, route: adjusted });
  return adjusted;
}

/** withReadyWeights over every route (the array is the same when nothing changed). */
export function routesWithReadyWeights(
  routes: readonly ModelRoute[],
  table: EndpointTable,
): readonly ModelRoute[] {
  let out: ModelRoute[] | undefined;
  routes.forEach((r, i) => {
    const a = withReadyWeights(r, table);
    if (a !== r) {
      out ??= [...routes];
      out[i] = a;
    }
  });
  return out ?? routes;
}
