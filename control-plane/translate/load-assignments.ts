// A route's ClusterLoadAssignments, memoized on their inputs' identity, in one entry per route
// (a WeakMap entry per endpoint array, or a second one per route, is one more ephemeron the
// garbage collector traces). Per flavor and version (and, for the Envoy gateway's REST
// clusters, per version's REST cluster) the last endpoint array and its assignment, found by
// the version's position rather than a key string; per flavor, the arrays of the last whole
// output, so a rebuild that finds every array unchanged costs a table lookup per version and
// hands back the very same assignments. Producers replace, never mutate, the arrays they put in
// the endpoint table.
import type { ClusterLoadAssignment } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import type { ModelRoute } from '../policy/types.js';
import {
  buildLoadAssignment,
  NO_ENDPOINTS,
  namedLoadAssignment,
  versionEndpoints,
  versionEndpointsSource,
} from './endpoints.js';
import { buildRestLoadAssignment, envoyAssignments } from './rest-endpoints.js';
import type { TranslationCache } from './translation-cache.js';
import type { EndpointInfo, EndpointTable, Flavor } from './types.js';
import type { VersionNames } from './version-names.js';

type List = readonly EndpointInfo[];

/** One flavor's memo for one route; arrays indexed by the version's position. */
interface FlavorEds {
  readonly lists: (List | undefined)[];
  readonly clas: (ClusterLoadAssignment | undefined)[];
  readonly restLists: (List | undefined)[];
  readonly restClas: (ClusterLoadAssignment | undefined)[];
  /** The last whole output of loadAssignments and the arrays it was built from. */
  out?: readonly ClusterLoadAssignment[];
  outLists?: readonly List[];
}

/** Per route: each version's static endpoints or its key in the table, and the flavors' memos. */
interface RouteEds {
  readonly sources: ReadonlyArray<List | string>;
  grpc?: FlavorEds;
  envoy?: FlavorEds;
}

const edsMemo = new WeakMap<ModelRoute, RouteEds>();

function routeEds(route: ModelRoute, names?: VersionNames): RouteEds {
  let eds = edsMemo.get(route);
  if (!eds) {
    eds = {
      sources: route.spec.versions.map((v, i) =>
        sameText(versionEndpointsSource(route, v.name), names?.grpc[i]),
      ),
    };
    edsMemo.set(route, eds);
  }
  return eds;
}

// A version's table key is spelled as its cluster's name is: one string for both, not two.
function sameText(source: List | string, name: string | undefined): List | string {
  return typeof source === 'string' && source === name ? name : source;
}

// Sized to the versions up front: an empty array written by index grows to 17 slots, and four
// of them per route and flavor held several megabytes at 10,000 models (docs/TRANSLATION.md).
function slots<T>(n: number): (T | undefined)[] {
  const a: (T | undefined)[] = new Array(n);
  for (let i = 0; i < n; i++) a[i] = undefined;
  return a;
}

function flavorEds(eds: RouteEds, flavor: Flavor): FlavorEds {
  let f = eds[flavor];
  if (!f) {
    const n = eds.sources.length;
    f = { lists: slots(n), clas: slots(n), restLists: slots(n), restClas: slots(n) };
    eds[flavor] = f;
  }
  return f;
}

function fromSource(source: List | string, table: EndpointTable): List {
  return typeof source === 'string' ? (table.get(source) ?? NO_ENDPOINTS) : source;
}

function assignmentAt(
  route: ModelRoute,
  f: FlavorEds,
  i: number,
  list: List,
  flavor: Flavor,
  rest: boolean,
  cache: TranslationCache | undefined,
  names?: VersionNames,
): ClusterLoadAssignment {
  const lists = rest ? f.restLists : f.lists;
  const clas = rest ? f.restClas : f.clas;
  const last = clas[i];
  if (last && lists[i] === list) return last;
  const version = route.spec.versions[i]!.name;
  // The cluster's own name string where the caller has it: spelled again, it is one more
  // string per assignment to build and hold.
  const name = names && (rest ? names.rest : names.grpc)[i];
  const cla = rest
    ? buildRestLoadAssignment(route, version, list, flavor, cache, name)
    : name !== undefined && cache
      ? namedLoadAssignment(name, route, list, flavor, cache)
      : buildLoadAssignment(route, version, list, flavor, cache);
  lists[i] = list;
  clas[i] = cla;
  return cla;
}

/**
 * Envoy: a version's gRPC and REST assignments made together (rest-endpoints.ts) when both
 * memos miss, as they do together whenever the version's endpoints moved; either alone is left
 * to assignmentAt.
 */
function pairAt(
  route: ModelRoute,
  f: FlavorEds,
  i: number,
  list: List,
  cache: TranslationCache,
  names: VersionNames,
): void {
  if (f.lists[i] === list || f.restLists[i] === list) return;
  const [grpc, rest] = envoyAssignments(names.grpc[i]!, names.rest[i]!, route, list, cache);
  f.lists[i] = list;
  f.clas[i] = grpc;
  f.restLists[i] = list;
  f.restClas[i] = rest;
}

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
  const list = versionEndpoints(route, version, endpoints);
  const i = route.spec.versions.findIndex((v) => v.name === version);
  if (i < 0)
    return rest
      ? buildRestLoadAssignment(route, version, list, flavor, cache)
      : buildLoadAssignment(route, version, list, flavor, cache);
  return assignmentAt(route, flavorEds(routeEds(route), flavor), i, list, flavor, rest, cache);
}

/**
 * A route's assignments in cluster order: per version, then (Envoy) per version's REST
 * cluster. The same array as the last call while no version's endpoint array changed; callers
 * only read it. `names`: the route's cluster names in this flavor, when the caller has them.
 */
export function loadAssignments(
  route: ModelRoute,
  flavor: Flavor,
  endpoints: EndpointTable,
  cache: TranslationCache,
  names?: VersionNames,
): readonly ClusterLoadAssignment[] {
  const eds = routeEds(route, names);
  const f = flavorEds(eds, flavor);
  const { sources } = eds;
  const n = sources.length;
  if (f.out && f.outLists) {
    let i = 0;
    while (i < n && fromSource(sources[i]!, endpoints) === f.outLists[i]) i++;
    if (i === n) return f.out;
  }
  const lists = sources.map((s) => fromSource(s, endpoints));
  // Exactly as long as it ends up: it is held until the route's endpoints move.
  const rest = flavor === 'envoy' ? n : 0;
  const out: ClusterLoadAssignment[] = new Array(n + rest);
  for (let i = 0; i < rest; i++) if (names) pairAt(route, f, i, lists[i]!, cache, names);
  for (let i = 0; i < n; i++) out[i] = assignmentAt(route, f, i, lists[i]!, flavor, false, cache, names);
  for (let i = 0; i < rest; i++)
    out[n + i] = assignmentAt(route, f, i, lists[i]!, flavor, true, cache, names);
  f.out = out;
  f.outLists = lists;
  return out;
}
