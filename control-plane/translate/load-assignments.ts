// A route's ClusterLoadAssignments, memoized on their inputs' identity. Per version and flavor
// (and, for the Envoy gateway's REST clusters, per version's REST cluster) the last endpoint
// array and its assignment; per route and flavor, where each version's endpoints come from and
// the arrays the last call saw, so a rebuild that finds every array unchanged costs a map lookup
// per version and hands back the very same assignments (no key strings built, no assignment
// rebuilt). Producers replace, never mutate, the arrays they put in the endpoint table.
import type { ClusterLoadAssignment } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import type { ModelRoute } from '../policy/types.js';
import { buildLoadAssignment, NO_ENDPOINTS, versionEndpoints, versionEndpointsSource } from './endpoints.js';
import { buildRestLoadAssignment } from './rest-endpoints.js';
import type { TranslationCache } from './translation-cache.js';
import type { EndpointInfo, EndpointTable, Flavor } from './types.js';

// Per route, per `flavor NUL version[ NUL rest]`: the last endpoint array and its assignment. One
// WeakMap lookup per call; a WeakMap per endpoint array made the garbage collector trace an
// ephemeron table per assignment.
const claMemo = new WeakMap<
  ModelRoute,
  Map<string, { list: readonly EndpointInfo[]; cla: ClusterLoadAssignment }>
>();

/**
 * The ClusterLoadAssignment for one version in one flavor, memoized on the endpoint array's
 * identity; `rest`: the Envoy gateway's REST cluster of that version instead. The cache calls
 * this alone when only one version's endpoints moved.
 */
export function translateLoadAssignment(
  route: ModelRoute,
  version: string,
  endpoints: EndpointTable,
  flavor: Flavor,
  rest = false,
  cache?: TranslationCache,
): ClusterLoadAssignment {
  return assignmentFor(route, version, versionEndpoints(route, version, endpoints), flavor, rest, cache);
}

function assignmentFor(
  route: ModelRoute,
  version: string,
  list: readonly EndpointInfo[],
  flavor: Flavor,
  rest: boolean,
  cache: TranslationCache | undefined,
): ClusterLoadAssignment {
  let byKey = claMemo.get(route);
  if (!byKey) {
    byKey = new Map();
    claMemo.set(route, byKey);
  }
  const key = rest ? `${flavor}\u0000${version}\u0000rest` : `${flavor}\u0000${version}`;
  const last = byKey.get(key);
  if (last && last.list === list) return last.cla;
  const cla = rest
    ? buildRestLoadAssignment(route, version, list, flavor, cache)
    : buildLoadAssignment(route, version, list, flavor, cache);
  byKey.set(key, { list, cla });
  return cla;
}

/** Per route: each version's static endpoints or its key in the table, and per flavor the last call. */
interface RouteEds {
  readonly sources: ReadonlyArray<readonly EndpointInfo[] | string>;
  readonly last: Partial<
    Record<Flavor, { lists: (readonly EndpointInfo[])[]; out: ClusterLoadAssignment[] }>
  >;
}

const edsMemo = new WeakMap<ModelRoute, RouteEds>();

function routeEds(route: ModelRoute): RouteEds {
  let eds = edsMemo.get(route);
  if (!eds) {
    eds = { sources: route.spec.versions.map((v) => versionEndpointsSource(route, v.name)), last: {} };
    edsMemo.set(route, eds);
  }
  return eds;
}

/**
 * A route's assignments in cluster order: per version, then (Envoy) per version's REST
 * cluster. The same array as the last call while no version's endpoint array changed; callers
 * only read it.
 */
export function loadAssignments(
  route: ModelRoute,
  flavor: Flavor,
  endpoints: EndpointTable,
  cache: TranslationCache,
): readonly ClusterLoadAssignment[] {
  const eds = routeEds(route);
  const last = eds.last[flavor];
  const n = eds.sources.length;
  let lists = last?.lists;
  for (let i = 0; i < n; i++) {
    const list = fromSource(eds.sources[i]!, endpoints);
    if (lists && list === lists[i]) continue;
    // Something moved: collect every version's array and rebuild what changed.
    if (lists === last?.lists) lists = lists ? lists.slice() : new Array(n);
    lists![i] = list;
  }
  if (last && lists === last.lists) return last.out;
  const versions = route.spec.versions;
  const out = versions.map((v, i) => assignmentFor(route, v.name, lists![i]!, flavor, false, cache));
  if (flavor === 'envoy')
    for (let i = 0; i < n; i++)
      out.push(assignmentFor(route, versions[i]!.name, lists![i]!, flavor, true, cache));
  eds.last[flavor] = { lists: lists!, out };
  return out;
}

function fromSource(source: readonly EndpointInfo[] | string, table: EndpointTable): readonly EndpointInfo[] {
  return typeof source === 'string' ? (table.get(source) ?? NO_ENDPOINTS) : source;
}
