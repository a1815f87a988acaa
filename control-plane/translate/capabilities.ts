// What a proxyless client can parse beyond the gRPC flavor's baseline, decided from the client
// family and version its Node announces (table and sources in docs/TRANSLATION.md). Each
// distinct capability set is one node group with one snapshot, encoded once, so a capability
// costs one translation per set, never one per stream. Pure: no I/O, no clock.
import type {
  HeaderMatcher,
  Route,
  VirtualHost,
} from '../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import type { RouteConfiguration } from '../../protos/gen/envoy/config/route/v3/route_pb.js';
import type { Flavor, ResourceSet } from './types.js';

export interface Capabilities {
  /**
   * HeaderMatcher.string_match (gRFC A63). Without it a header condition is sent in the
   * deprecated exact_match / prefix_match / safe_regex_match fields, which every gRPC release
   * still reads.
   */
  readonly headerStringMatch: boolean;
}

/** The client as its Node names it: family from user_agent_name, version as it reports it. */
export interface ClientInfo {
  readonly family: ClientFamily;
  readonly version: string;
}

export type ClientFamily = 'envoy' | 'grpc-js' | 'c-core' | 'grpc-go' | 'grpc-java' | 'unknown';

export const FULL_CAPABILITIES: Capabilities = { headerStringMatch: true };
export const LEGACY_HEADER_MATCHERS: Capabilities = { headerStringMatch: false };

/** Every node group the publisher keeps: the flavor and capability set it is translated for. */
export interface GroupSpec {
  readonly group: string;
  readonly flavor: Flavor;
  readonly capabilities: Capabilities;
}

export function groupName(flavor: Flavor, caps: Capabilities): string {
  return caps.headerStringMatch ? flavor : `${flavor}+legacy-header-matchers`;
}

export const GROUPS: readonly GroupSpec[] = [
  { group: 'envoy', flavor: 'envoy', capabilities: FULL_CAPABILITIES },
  { group: 'grpc', flavor: 'grpc', capabilities: FULL_CAPABILITIES },
  { group: groupName('grpc', LEGACY_HEADER_MATCHERS), flavor: 'grpc', capabilities: LEGACY_HEADER_MATCHERS },
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

export function capabilitiesFor(flavor: Flavor, client: ClientInfo): Capabilities {
  if (flavor === 'envoy') return FULL_CAPABILITIES;
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

/**
 * A translated set as a client with these capabilities can parse it. Only route
 * configurations differ; listeners, clusters and endpoints stay the same objects.
 */
export function forCapabilities(set: ResourceSet, caps: Capabilities): ResourceSet {
  if (caps.headerStringMatch) return set;
  return { ...set, routes: set.routes.map(legacyRouteConfig) };
}
