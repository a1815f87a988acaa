// What a proxyless client can parse beyond the gRPC flavor's baseline, decided from the client
// family and version its Node announces (table and sources in docs/TRANSLATION.md). Each
// distinct capability set is one node group with one snapshot, encoded once, so a capability
// costs one translation per set, never one per stream. Pure: no I/O, no clock.

import { type Cluster, Cluster_LbPolicy } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import type {
  HeaderMatcher,
  Route,
  VirtualHost,
} from '../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import type { RouteConfiguration } from '../../protos/gen/envoy/config/route/v3/route_pb.js';
import type { NodeRole } from './node-role.js';
import type { Flavor, ResourceSet } from './types.js';

export interface Capabilities {
  /**
   * HeaderMatcher.string_match (gRFC A63). Without it a header condition is sent in the
   * deprecated exact_match / prefix_match / safe_regex_match fields, which every gRPC release
   * still reads.
   */
  readonly headerStringMatch: boolean;
  /**
   * A RING_HASH cluster is safe to serve. Without it a sticky model's clusters go out as
   * ROUND_ROBIN: stickiness is lost, but the client keeps running (C-core 1.51's ring_hash
   * picker crashes the process).
   */
  readonly ringHash: boolean;
}

/** The client as its Node names it: family from user_agent_name, version as it reports it. */
export interface ClientInfo {
  readonly family: ClientFamily;
  readonly version: string;
}

export type ClientFamily = 'envoy' | 'grpc-js' | 'c-core' | 'grpc-go' | 'grpc-java' | 'unknown';

export const FULL_CAPABILITIES: Capabilities = { headerStringMatch: true, ringHash: true };
export const LEGACY_HEADER_MATCHERS: Capabilities = { headerStringMatch: false, ringHash: true };
/** C-core releases whose ring_hash picker crashes also predate string_match. */
export const LEGACY_WITHOUT_RING_HASH: Capabilities = { headerStringMatch: false, ringHash: false };

/** Every node group the publisher keeps: the flavor and capability set it is translated for. */
export interface GroupSpec {
  readonly group: string;
  readonly flavor: Flavor;
  readonly capabilities: Capabilities;
  /** Envoy only: where its listener binds (node-role.ts). */
  readonly role: NodeRole;
}

export function groupName(flavor: Flavor, caps: Capabilities, role: NodeRole = 'gateway'): string {
  let name: string = flavor;
  if (!caps.headerStringMatch) name += '+legacy-header-matchers';
  if (!caps.ringHash) name += '+no-ring-hash';
  if (role === 'sidecar') name += '+sidecar';
  return name;
}

function spec(flavor: Flavor, capabilities: Capabilities, role: NodeRole = 'gateway'): GroupSpec {
  return { group: groupName(flavor, capabilities, role), flavor, capabilities, role };
}

/**
 * Only the combinations capabilitiesFor and the node roles can produce: every stream's group is
 * one of these (capabilities.test.ts checks it).
 */
export const GROUPS: readonly GroupSpec[] = [
  spec('envoy', FULL_CAPABILITIES),
  spec('envoy', FULL_CAPABILITIES, 'sidecar'),
  spec('grpc', FULL_CAPABILITIES),
  spec('grpc', LEGACY_HEADER_MATCHERS),
  spec('grpc', LEGACY_WITHOUT_RING_HASH),
];

/** Leading numeric components of a version ("29.0.0" -> [29, 0, 0]); [] when none. */
function numbers(version: string): number[] {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version);
  return m ? m.slice(1).map((p) => Number(p ?? 0)) : [];
}

function atLeast(version: string, min: readonly number[]): boolean {
  const v = numbers(version);
  // Every gRPC release reports its version; a known family without one is a hand-made client
  // speaking the current protocol.
  if (!v.length) return true;
  for (let i = 0; i < min.length; i++) {
    const a = v[i] ?? 0;
    if (a !== min[i]) return a > min[i]!;
  }
  return true;
}

/**
 * The first release of each family known to read HeaderMatcher.string_match. Conservative: a
 * client below it, or of an unknown family, gets the deprecated fields, which cost nothing in
 * meaning and which every release still parses.
 */
const STRING_MATCH_SINCE: Partial<Record<ClientFamily, readonly number[]>> = {
  envoy: [0],
  'grpc-js': [1, 14],
  // C-core reports its core version (gRPC 1.51 is core 29); A63 landed after core 32.
  'c-core': [34],
  'grpc-go': [1, 57],
  'grpc-java': [1, 54],
};

/**
 * C-core's ring_hash picker crashes the process (SIGSEGV) in 1.51 (core 29): a cast missed in a
 * refactoring, fixed in https://github.com/grpc/grpc/issues/31766 after 1.51. Conservative: every
 * C-core before 1.53 (core 31) gets ROUND_ROBIN. The other families' ring_hash is safe.
 */
const RING_HASH_SINCE: Partial<Record<ClientFamily, readonly number[]>> = {
  'c-core': [31],
};

export function capabilitiesFor(flavor: Flavor, client: ClientInfo): Capabilities {
  if (flavor === 'envoy') return FULL_CAPABILITIES;
  const ringSince = RING_HASH_SINCE[client.family];
  if (ringSince && !atLeast(client.version, ringSince)) return LEGACY_WITHOUT_RING_HASH;
  const since = STRING_MATCH_SINCE[client.family];
  return since && atLeast(client.version, since) ? FULL_CAPABILITIES : LEGACY_HEADER_MATCHERS;
}

function legacyMatcher(m: HeaderMatcher): HeaderMatcher {
  const spec = m.headerMatchSpecifier;
  if (spec.case !== 'stringMatch') return m;
  const p = spec.value.matchPattern;
  switch (p.case) {
    case 'exact':
      return { ...m, headerMatchSpecifier: { case: 'exactMatch', value: p.value } };
    case 'prefix':
      return { ...m, headerMatchSpecifier: { case: 'prefixMatch', value: p.value } };
    case 'suffix':
      return { ...m, headerMatchSpecifier: { case: 'suffixMatch', value: p.value } };
    case 'contains':
      return { ...m, headerMatchSpecifier: { case: 'containsMatch', value: p.value } };
    case 'safeRegex':
      return { ...m, headerMatchSpecifier: { case: 'safeRegexMatch', value: p.value } };
    default:
      return m;
  }
}

function legacyRoute(r: Route): Route {
  const match = r.match;
  if (!match?.headers.some((h) => h.headerMatchSpecifier.case === 'stringMatch')) return r;
  return { ...r, match: { ...match, headers: match.headers.map(legacyMatcher) } };
}

function legacyVirtualHost(vh: VirtualHost): VirtualHost {
  return { ...vh, routes: vh.routes.map(legacyRoute) };
}

// Keyed by the translator's (memoized) objects: an unchanged route configuration maps to the
// very same legacy copy, so the encoder pays nothing for it.
const legacyRouteConfigs = new WeakMap<RouteConfiguration, RouteConfiguration>();

function legacyRouteConfig(rc: RouteConfiguration): RouteConfiguration {
  let out = legacyRouteConfigs.get(rc);
  if (!out) {
    out = { ...rc, virtualHosts: rc.virtualHosts.map(legacyVirtualHost) };
    legacyRouteConfigs.set(rc, out);
  }
  return out;
}

const roundRobinClusters = new WeakMap<Cluster, Cluster>();

/** The route's hash policy stays: a client ignores it under ROUND_ROBIN. */
function roundRobinCluster(c: Cluster): Cluster {
  if (c.lbPolicy !== Cluster_LbPolicy.RING_HASH) return c;
  let out = roundRobinClusters.get(c);
  if (!out) {
    out = { ...c, lbPolicy: Cluster_LbPolicy.ROUND_ROBIN, lbConfig: { case: undefined } };
    roundRobinClusters.set(c, out);
  }
  return out;
}

/** How many RING_HASH clusters of `set` a client with these capabilities gets as ROUND_ROBIN. */
export function ringHashDowngrades(set: ResourceSet, caps: Capabilities): number {
  return caps.ringHash ? 0 : set.clusters.filter((c) => c.lbPolicy === Cluster_LbPolicy.RING_HASH).length;
}

/**
 * A translated set as a client with these capabilities can parse (and survive) it. Only route
 * configurations and ring-hash clusters differ; every other resource stays the same object.
 */
export function forCapabilities(set: ResourceSet, caps: Capabilities): ResourceSet {
  let out = set;
  if (!caps.headerStringMatch) out = { ...out, routes: out.routes.map(legacyRouteConfig) };
  if (!caps.ringHash) out = { ...out, clusters: out.clusters.map(roundRobinCluster) };
  return out;
}
