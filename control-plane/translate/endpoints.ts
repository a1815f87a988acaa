// EDS: one ClusterLoadAssignment per model version and flavor. Applies residency (endpoints
// outside the allowed regions are dropped; none left means an empty assignment, never a foreign
// one) and the backend preference (GPU at priority 0, CPU at 1, CPU at 0 too while it takes
// overflow), groups endpoints by locality and priority, and sorts everything so equal input
// gives byte-identical output.
//
// Weights take a different form per flavor (docs/ARCHITECTURE.md, "Endpoint weights in both
// flavors"). Envoy: all endpoints of a zone share one locality and each carries its weight as
// the endpoint's load_balancing_weight, which round robin, least request and ring hash honour
// across the whole priority; a locality weight would only count under locality-weighted
// balancing, which picks the locality first and so would keep least request from comparing
// hosts of different localities. Proxyless gRPC ignores endpoint weights under round_robin but
// balances localities by weight (weighted_target), and drops a locality without one: there an
// endpoint with a weight gets a locality of its own (sub_zone: its pod id, or address:port)
// whose locality weight is that weight. This is the hot path of a rebuild: the messages are
// built as typed literals rather than through create(), which costs twice as much here.

import { toBinary } from '@bufbuild/protobuf';
import type { SocketAddress } from '../../protos/gen/envoy/config/core/v3/address_pb.js';
import { type Metadata, MetadataSchema } from '../../protos/gen/envoy/config/core/v3/base_pb.js';
import type {
  Endpoint,
  LbEndpoint,
  LocalityLbEndpoints,
} from '../../protos/gen/envoy/config/endpoint/v3/endpoint_components_pb.js';
import type { ClusterLoadAssignment } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { registryRefOf } from '../policy/registry-ref.js';
import type { ModelRoute, StaticEndpoint } from '../policy/types.js';
import { encodedAssignment } from '../resources/index.js';
import { NO_ENTRIES, NONE } from './empties.js';
import { assignmentBytes } from './encode/assignment-bytes.js';
import { compareKept, HEALTH, type Kept, localityEnds, sortKept, subZoneOf } from './kept.js';
import { clusterName } from './names.js';
import { orcaBalancing } from './proxyless-lb.js';
import { TranslationCache } from './translation-cache.js';
import { type EndpointInfo, type EndpointTable, endpointKey, type Flavor } from './types.js';

/** Envoy picks a transport_socket_matches entry by this endpoint metadata (PERMISSIVE). */
export const TLS_MATCH_FILTER = 'envoy.transport_socket_match';
export const TLS_MATCH_KEY = 'tlsMode';
export const TLS_MATCH_VALUE = 'mtls';

let tlsMetadata: Metadata | undefined;
function tlsMatchMetadata(): Metadata {
  tlsMetadata ??= {
    $typeName: 'envoy.config.core.v3.Metadata',
    filterMetadata: {
      [TLS_MATCH_FILTER]: { [TLS_MATCH_KEY]: TLS_MATCH_VALUE },
    },
    typedFilterMetadata: {},
  };
  return tlsMetadata!;
}

let tlsMetadataEncoded: Uint8Array | undefined;
function tlsMatchMetadataBytes(): Uint8Array {
  tlsMetadataEncoded ??= toBinary(MetadataSchema, tlsMatchMetadata());
  return tlsMetadataEncoded;
}

function staticToInfo(e: StaticEndpoint): EndpointInfo {
  return { ...e, health: 'HEALTHY' };
}

/** No endpoints: one shared array, so an empty version's assignment stays memoized. */
export const NO_ENDPOINTS: readonly EndpointInfo[] = Object.freeze([]);

/**
 * Where a version's endpoints come from: the policy's static ones (which win), or the key of
 * the discovered ones in the endpoint table.
 */
export function versionEndpointsSource(route: ModelRoute, version: string): readonly EndpointInfo[] | string {
  const v = route.spec.versions.find((x) => x.name === version);
  if (v?.endpoints) return staticCache(v.endpoints);
  // A registry version: the pods that report that registry version READY (docs/PLACEMENT.md).
  const ref = v && registryRefOf(v);
  if (ref) return endpointKey(ref.name, ref.version);
  return endpointKey(route.spec.model, version);
}

/** The endpoints a version routes to before filtering: static ones in the policy win. */
export function versionEndpoints(
  route: ModelRoute,
  version: string,
  table: EndpointTable,
): readonly EndpointInfo[] {
  const source = versionEndpointsSource(route, version);
  return typeof source === 'string' ? (table.get(source) ?? NO_ENDPOINTS) : source;
}

const staticInfos = new WeakMap<readonly StaticEndpoint[], readonly EndpointInfo[]>();
function staticCache(list: readonly StaticEndpoint[]): readonly EndpointInfo[] {
  let infos = staticInfos.get(list);
  if (!infos) {
    infos = list.map(staticToInfo);
    staticInfos.set(list, infos);
  }
  return infos;
}

/** Priority for an endpoint under the route's backend preference; -1 excludes it. */
function priorityOf(route: ModelRoute, e: EndpointInfo): number {
  switch (route.spec.backendPreference) {
    case 'any':
      return 0;
    case 'gpu':
      return e.backend === 'gpu' ? 0 : -1;
    case 'cpu':
      return e.backend === 'cpu' ? 0 : -1;
    case 'gpu-overflow-cpu':
      // Unlabeled endpoints count as primary capacity.
      return e.backend === 'cpu' && !e.overflow ? 1 : 0;
  }
}

/** Would `e` take new traffic in this route's EDS (inside residency, preferred backend, healthy)? */
export function takesTraffic(route: ModelRoute, e: EndpointInfo): boolean {
  const regions = route.spec.residency?.regions;
  if (regions && (e.region === undefined || !regions.includes(e.region))) return false;
  return priorityOf(route, e) >= 0 && (e.health === 'HEALTHY' || e.health === 'UNKNOWN');
}

// Sub-messages equal for many endpoints are shared, not rebuilt per endpoint: every object an
// assignment holds is one more the garbage collector copies and marks (300,000 endpoints at
// 10,000 models). Nothing downstream mutates a translated message. The port oneofs are bounded
// by the port range.
const portOneofs: SocketAddress['portSpecifier'][] = [];
function portOneof(port: number): SocketAddress['portSpecifier'] {
  let p = portOneofs[port];
  if (!p) {
    p = { case: 'portValue', value: port };
    if (Number.isInteger(port) && port >= 0 && port <= 65_535) portOneofs[port] = p;
  }
  return p;
}
const NO_ADDRESSES: Endpoint['additionalAddresses'] = Object.freeze(
  [],
) as unknown as Endpoint['additionalAddresses'];
const NO_LB_CONFIG: LocalityLbEndpoints['lbConfig'] = Object.freeze({ case: undefined });

function lbEndpoint(e: EndpointInfo, port: number, tls: boolean, weighted: boolean): LbEndpoint {
  return {
    $typeName: 'envoy.config.endpoint.v3.LbEndpoint',
    hostIdentifier: {
      case: 'endpoint',
      value: {
        $typeName: 'envoy.config.endpoint.v3.Endpoint',
        address: {
          $typeName: 'envoy.config.core.v3.Address',
          address: {
            case: 'socketAddress',
            value: {
              $typeName: 'envoy.config.core.v3.SocketAddress',
              protocol: 0,
              address: e.address,
              portSpecifier: portOneof(port),
              resolverName: '',
              ipv4Compat: false,
            },
          },
        },
        hostname: '',
        additionalAddresses: NO_ADDRESSES,
      },
    },
    healthStatus: HEALTH[e.health],
    metadata: tls && e.tls ? tlsMatchMetadata() : undefined,
    loadBalancingWeight: weighted ? (e.weight ?? 1) : 1,
  };
}

/**
 * The ClusterLoadAssignment for one version and flavor. Pure in its arguments; `cache` interns
 * the localities of one built as messages (a fresh one when not given). `asBytes`: written as
 * bytes where every value allows (control-plane/resources/encoded-assignment.ts); false builds
 * the messages, which is what the bytes must equal.
 */
export function buildLoadAssignment(
  route: ModelRoute,
  version: string,
  endpoints: readonly EndpointInfo[],
  flavor: Flavor,
  cache: TranslationCache = new TranslationCache(),
  asBytes = true,
): ClusterLoadAssignment {
  return namedLoadAssignment(
    clusterName(route.spec.model, version),
    route,
    endpoints,
    flavor,
    cache,
    asBytes,
  );
}

/** An assignment with no endpoints: its list is the shared frozen empty one. */
export function emptyAssignment(name: string): ClusterLoadAssignment {
  return {
    $typeName: 'envoy.config.endpoint.v3.ClusterLoadAssignment',
    clusterName: name,
    endpoints: NONE,
    namedEndpoints: NO_ENTRIES,
  };
}

/**
 * `buildLoadAssignment` under a cluster name of the caller's (the REST clusters have their own).
 * `http`: the endpoints on their HTTP ports, for the Envoy gateway's REST clusters; an endpoint
 * without one is left out, so REST requests never reach a gRPC port.
 */
export function namedLoadAssignment(
  name: string,
  route: ModelRoute,
  endpoints: readonly EndpointInfo[],
  flavor: Flavor,
  cache: TranslationCache,
  asBytes = true,
  http = false,
): ClusterLoadAssignment {
  const kept = keep(route, endpoints, flavor, http);
  return kept ? assignmentOf(name, route, kept, flavor, cache, asBytes) : emptyAssignment(name);
}

/**
 * The endpoints an assignment keeps, in output order; undefined when it keeps none. `http`: on
 * their HTTP ports, leaving out any without one.
 */
export function keep(
  route: ModelRoute,
  endpoints: readonly EndpointInfo[],
  flavor: Flavor,
  http: boolean,
): Kept | undefined {
  if (endpoints.length === 0) return undefined;
  const regions = route.spec.residency?.regions;
  let kept: Kept = { list: [], priority: [], subZone: [], port: [] };
  const orca = isOrca(route, flavor);
  let seen = 0; // bit set of the priorities present (0 and 1)
  for (const e of endpoints) {
    if (http && e.httpPort === undefined) continue;
    const port = http ? e.httpPort! : e.port;
    // Fail closed: an endpoint with no region is not known to be inside.
    if (regions && (e.region === undefined || !regions.includes(e.region))) continue;
    const priority = priorityOf(route, e);
    if (priority < 0) continue;
    seen |= 1 << priority;
    kept.list.push(e);
    kept.priority.push(priority);
    kept.subZone.push(subZoneOf(e, flavor, orca, port));
    kept.port.push(port);
  }
  if (kept.list.length === 0) return undefined;
  // Priorities must be contiguous from 0 (gRPC rejects a gap): with no GPU endpoint, the CPU
  // ones are the top priority.
  if (seen === 2) kept.priority.fill(0);
  // Tables usually list a version's endpoints in a stable order: a check in one pass is cheaper
  // than a sort that finds nothing to move.
  for (let i = 1; i < kept.list.length; i++)
    if (compareKept(kept, i - 1, i) > 0) {
      kept = sortKept(kept);
      break;
    }
  return kept;
}

// Under ORCA the clients weigh endpoints themselves, across localities (proxyless-lb.ts), and
// the tuned weights are left out: every EDS change restarts the clients' blackout period, so
// weights that move every tuning pass would keep the clients at plain round robin.
function isOrca(route: ModelRoute, flavor: Flavor): boolean {
  return orcaBalancing(route, flavor) !== undefined;
}

/**
 * The assignment named `name` over `kept` (sorted). `portAt`: where the writer puts each
 * endpoint's port in the bytes, when it writes them (encode/assignment-bytes.ts).
 */
export function assignmentOf(
  name: string,
  route: ModelRoute,
  kept: Kept,
  flavor: Flavor,
  cache: TranslationCache,
  asBytes: boolean,
  portAt?: Int32Array,
): ClusterLoadAssignment {
  const orca = isOrca(route, flavor);
  const tls = route.spec.mtls === 'PERMISSIVE';
  const localityWeights = flavor === 'grpc';
  if (asBytes) {
    const bytes = assignmentBytes(
      name,
      kept,
      tls ? tlsMatchMetadataBytes() : undefined,
      !orca,
      localityWeights,
      portAt,
    );
    if (bytes) return encodedAssignment(name, bytes);
  }
  return {
    $typeName: 'envoy.config.endpoint.v3.ClusterLoadAssignment',
    clusterName: name,
    endpoints: localities(kept, tls, localityWeights, orca, cache),
    namedEndpoints: NO_ENTRIES,
  };
}

/**
 * The sorted endpoints grouped by locality and priority. Every list is allocated at its final
 * length: grown by push, each held room for 17 entries, a sixth of an assignment's bytes.
 */
function localities(
  kept: Kept,
  tls: boolean,
  localityWeights: boolean,
  orca: boolean,
  cache: TranslationCache,
): LocalityLbEndpoints[] {
  const { list, priority, subZone, port } = kept;
  const ends = new Int32Array(list.length);
  const groups = localityEnds(kept, ends);
  const out = new Array<LocalityLbEndpoints>(groups);
  let start = 0;
  for (let g = 0; g < groups; g++) {
    const end = ends[g]!;
    const lbEndpoints = new Array<LbEndpoint>(end - start);
    let weight = 0;
    for (let i = start; i < end; i++) {
      const e = list[i]!;
      lbEndpoints[i - start] = lbEndpoint(e, port[i]!, tls, !orca);
      weight += orca ? 1 : (e.weight ?? 1);
    }
    const first = list[start]!;
    out[g] = {
      $typeName: 'envoy.config.endpoint.v3.LocalityLbEndpoints',
      locality: cache.locality(first.region ?? '', first.zone ?? '', subZone[start]!),
      lbEndpoints,
      lbConfig: NO_LB_CONFIG,
      loadBalancingWeight: localityWeights ? weight : undefined,
      priority: priority[start]!,
    };
    start = end;
  }
  return out;
}
