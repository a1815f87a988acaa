// What each xDS resource names in another type: routes (a virtual host's list or the routes its
// matcher tree leads to) name clusters, listeners name route configurations (and the gateway's
// JWKS clusters), EDS clusters name their ClusterLoadAssignment, TLS contexts name secrets.
// Pure: the snapshot cache uses these for its consistency check and for make-before-break.
import type { Any } from '@bufbuild/protobuf/wkt';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { type Cluster, Cluster_DiscoveryType } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { TransportSocket } from '../../protos/gen/envoy/config/core/v3/base_pb.js';
import type { Listener } from '../../protos/gen/envoy/config/listener/v3/listener_pb.js';
import {
  type Route,
  RouteListSchema,
  RouteSchema,
  type VirtualHost,
} from '../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import type { RouteConfiguration } from '../../protos/gen/envoy/config/route/v3/route_pb.js';
import { JwtAuthenticationSchema } from '../../protos/gen/envoy/extensions/filters/http/jwt_authn/v3/config_pb.js';
import { HttpConnectionManagerSchema } from '../../protos/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import {
  type CommonTlsContext,
  DownstreamTlsContextSchema,
  UpstreamTlsContextSchema,
} from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import type { Matcher, Matcher_OnMatch } from '../../protos/gen/xds/type/matcher/v3/matcher_pb.js';

const HCM_TYPE = `type.googleapis.com/${HttpConnectionManagerSchema.typeName}`;
const JWT_AUTHN_TYPE = `type.googleapis.com/${JwtAuthenticationSchema.typeName}`;
const UPSTREAM_TLS_TYPE = `type.googleapis.com/${UpstreamTlsContextSchema.typeName}`;
const DOWNSTREAM_TLS_TYPE = `type.googleapis.com/${DownstreamTlsContextSchema.typeName}`;

export interface ListenerRefs {
  readonly routes: string[];
  /** Clusters named by route configurations inlined in the listener, and JWKS clusters. */
  readonly clusters: string[];
  readonly secrets: string[];
}

export interface ClusterRefs {
  /** The ClusterLoadAssignment name an EDS cluster waits for; undefined for other types. */
  readonly eds?: string;
  /** Shared by clusters with the same transport socket and matches: not to be changed. */
  readonly secrets: readonly string[];
}

function sorted(names: Iterable<string>): string[] {
  return [...new Set(names)].sort();
}

const ROUTE_LIST_TYPE = `type.googleapis.com/${RouteListSchema.typeName}`;
const ROUTE_TYPE = `type.googleapis.com/${RouteSchema.typeName}`;

/** The routes a matcher tree's actions carry (RouteList or Route), in tree order. */
function matcherRoutes(m: Matcher | undefined, out: Route[]): void {
  if (!m) return;
  const onMatches: (Matcher_OnMatch | undefined)[] = [m.onNoMatch];
  const t = m.matcherType;
  if (t.case === 'matcherTree' && t.value.treeType.case !== 'customMatch' && t.value.treeType.value)
    onMatches.unshift(...Object.values(t.value.treeType.value.map));
  else if (t.case === 'matcherList') onMatches.unshift(...t.value.matchers.map((f) => f.onMatch));
  for (const om of onMatches) {
    const a = om?.onMatch;
    if (a?.case === 'matcher') matcherRoutes(a.value, out);
    else if (a?.case === 'action' && a.value.typedConfig) {
      const any = a.value.typedConfig;
      if (any.typeUrl === ROUTE_LIST_TYPE) out.push(...(anyUnpack(any, RouteListSchema)?.routes ?? []));
      else if (any.typeUrl === ROUTE_TYPE) {
        const r = anyUnpack(any, RouteSchema);
        if (r) out.push(r);
      }
    }
  }
}

/** A virtual host's routes: its route list, or the routes its matcher tree leads to. */
export function virtualHostRoutes(vh: VirtualHost): Route[] {
  if (!vh.matcher) return vh.routes;
  const out = [...vh.routes];
  matcherRoutes(vh.matcher, out);
  return out;
}

export function routeClusters(rc: Pick<RouteConfiguration, 'virtualHosts'>): string[] {
  const out: string[] = [];
  for (const vh of rc.virtualHosts) {
    for (const r of virtualHostRoutes(vh)) {
      if (r.action.case !== 'route') continue;
      const a = r.action.value;
      if (a.clusterSpecifier.case === 'cluster') out.push(a.clusterSpecifier.value);
      else if (a.clusterSpecifier.case === 'weightedClusters')
        for (const wc of a.clusterSpecifier.value.clusters) out.push(wc.name);
      for (const m of a.requestMirrorPolicies) if (m.cluster) out.push(m.cluster);
    }
  }
  return sorted(out);
}

function tlsSecrets(ctx: CommonTlsContext | undefined): string[] {
  if (!ctx) return [];
  const out = ctx.tlsCertificateSdsSecretConfigs.map((s) => s.name);
  const v = ctx.validationContextType;
  if (v.case === 'validationContextSdsSecretConfig') out.push(v.value.name);
  else if (v.case === 'combinedValidationContext' && v.value.validationContextSdsSecretConfig)
    out.push(v.value.validationContextSdsSecretConfig.name);
  return out;
}

// Unpacking an Any costs more than the rest of a walk. Translated messages are immutable and
// share packed sub-messages (every pod server Listener of one identity rule holds the same
// HttpConnectionManager), so what an Any refers to is kept per Any object.
const secretsOfAny = new WeakMap<Any, string[]>();
const refsOfHcm = new WeakMap<Any, { routes: string[]; clusters: string[] }>();

function transportSocketSecrets(ts: TransportSocket | undefined): string[] {
  if (ts?.configType.case !== 'typedConfig') return [];
  const any = ts.configType.value;
  let out = secretsOfAny.get(any);
  if (!out) {
    out =
      any.typeUrl === UPSTREAM_TLS_TYPE
        ? tlsSecrets(anyUnpack(any, UpstreamTlsContextSchema)?.commonTlsContext)
        : any.typeUrl === DOWNSTREAM_TLS_TYPE
          ? tlsSecrets(anyUnpack(any, DownstreamTlsContextSchema)?.commonTlsContext)
          : [];
    secretsOfAny.set(any, out);
  }
  return out;
}

function hcmRefs(any: Any | undefined, routes: string[], clusters: string[]): void {
  if (any?.typeUrl !== HCM_TYPE) return;
  let refs = refsOfHcm.get(any);
  if (!refs) {
    refs = { routes: [], clusters: [] };
    const hcm = anyUnpack(any, HttpConnectionManagerSchema);
    if (hcm?.routeSpecifier.case === 'rds') refs.routes.push(hcm.routeSpecifier.value.routeConfigName);
    else if (hcm?.routeSpecifier.case === 'routeConfig')
      refs.clusters.push(...routeClusters(hcm.routeSpecifier.value));
    // jwt_authn fetches remote JWKS through CDS clusters (the gateway's `<model>/-/jwks`).
    for (const f of hcm?.httpFilters ?? []) {
      if (f.configType.case !== 'typedConfig' || f.configType.value.typeUrl !== JWT_AUTHN_TYPE) continue;
      const jwt = anyUnpack(f.configType.value, JwtAuthenticationSchema);
      for (const p of Object.values(jwt?.providers ?? {}))
        if (p.jwksSourceSpecifier.case === 'remoteJwks') {
          const up = p.jwksSourceSpecifier.value.httpUri?.httpUpstreamType;
          if (up?.case === 'cluster') refs.clusters.push(up.value);
        }
    }
    refsOfHcm.set(any, refs);
  }
  routes.push(...refs.routes);
  clusters.push(...refs.clusters);
}

export function listenerRefs(l: Listener): ListenerRefs {
  const routes: string[] = [];
  const clusters: string[] = [];
  const secrets: string[] = [];
  hcmRefs(l.apiListener?.apiListener, routes, clusters);
  const chains = l.defaultFilterChain ? [...l.filterChains, l.defaultFilterChain] : l.filterChains;
  for (const chain of chains) {
    secrets.push(...transportSocketSecrets(chain.transportSocket));
    for (const f of chain.filters)
      if (f.configType.case === 'typedConfig') hcmRefs(f.configType.value, routes, clusters);
  }
  return { routes: sorted(routes), clusters: sorted(clusters), secrets: sorted(secrets) };
}

// A model's clusters share their transport socket and its list of matches (translate/tls.ts),
// so their secrets are worked out once per pair rather than per cluster (60,000 clusters in a
// 10,000-model Envoy build); every cluster of a pair gets the same list, which readers only read.
const NO_SOCKET = {};
const secretsOfSockets = new WeakMap<object, WeakMap<object, string[]>>();

function clusterSecrets(c: Cluster): string[] {
  const socket = c.transportSocket ?? NO_SOCKET;
  let byMatches = secretsOfSockets.get(socket);
  if (!byMatches) {
    byMatches = new WeakMap();
    secretsOfSockets.set(socket, byMatches);
  }
  let out = byMatches.get(c.transportSocketMatches);
  if (!out) {
    out = sorted([
      ...transportSocketSecrets(c.transportSocket),
      ...c.transportSocketMatches.flatMap((m) => transportSocketSecrets(m.transportSocket)),
    ]);
    byMatches.set(c.transportSocketMatches, out);
  }
  return out;
}

export function clusterRefs(c: Cluster): ClusterRefs {
  const secrets = clusterSecrets(c);
  const isEds =
    c.clusterDiscoveryType.case === 'type' && c.clusterDiscoveryType.value === Cluster_DiscoveryType.EDS;
  return isEds ? { eds: c.edsClusterConfig?.serviceName || c.name, secrets } : { secrets };
}
