// How Envoy picks a route for a request in a served RouteConfiguration (Envoy cannot be
// installed here, so suites follow the resources by its rules instead). Envoy's rules, from
// https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/route_matching and
// source/common/router/config_impl.cc (VirtualHostImpl::getRouteFromEntries):
// - the virtual host by :authority: exact domains, then the longest wildcard, then `*`;
// - a route list: routes in order, the first whose path specifier and headers match;
// - a matcher tree (VirtualHost.matcher): the input (a request header) looked up in the exact or
//   prefix map (the longest matching prefix wins); a hit's action is a RouteList (its routes in
//   order, each still matched) or a Route; on no hit, on_no_match; a hit whose routes do not
//   match is no route at all (no fall back to on_no_match).
// Only what the translator serves is followed; anything else throws, so a new feature cannot
// slip past a test unfollowed.
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import {
  type HeaderMatcher,
  type Route,
  RouteListSchema,
  type VirtualHost,
} from '../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import type { RouteConfiguration } from '../../protos/gen/envoy/config/route/v3/route_pb.js';
import { HttpRequestHeaderMatchInputSchema } from '../../protos/gen/envoy/type/matcher/v3/http_inputs_pb.js';
import type { TypedExtensionConfig } from '../../protos/gen/xds/core/v3/extension_pb.js';
import type { Matcher, Matcher_OnMatch } from '../../protos/gen/xds/type/matcher/v3/matcher_pb.js';

export interface HttpRequest {
  readonly authority: string;
  /** :path, query string included. */
  readonly path: string;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
}

/** The route Envoy picks, and how many routes it evaluated on the way. */
export interface RouteChoice {
  readonly route?: Route;
  readonly evaluated: number;
}

function domainMatches(domain: string, authority: string): boolean {
  if (domain === '*') return true;
  if (domain.endsWith('*')) return authority.startsWith(domain.slice(0, -1));
  if (domain.startsWith('*')) return authority.endsWith(domain.slice(1));
  return domain === authority;
}

export function virtualHostFor(rc: RouteConfiguration, authority: string): VirtualHost | undefined {
  const exact = rc.virtualHosts.find((v) => v.domains.includes(authority));
  if (exact) return exact;
  let best: { vh: VirtualHost; len: number } | undefined;
  for (const vh of rc.virtualHosts)
    for (const d of vh.domains)
      if (d !== '*' && d.includes('*') && domainMatches(d, authority) && d.length > (best?.len ?? 0))
        best = { vh, len: d.length };
  return best?.vh ?? rc.virtualHosts.find((v) => v.domains.includes('*'));
}

function header(req: HttpRequest, name: string): string | undefined {
  if (name === ':path') return req.path;
  if (name === ':authority') return req.authority;
  return req.headers[name];
}

function headerMatches(m: HeaderMatcher, req: HttpRequest): boolean {
  const value = header(req, m.name);
  const spec = m.headerMatchSpecifier;
  let ok: boolean;
  if (spec.case === 'presentMatch') ok = value !== undefined;
  else if (spec.case === 'stringMatch' && spec.value.matchPattern.case === 'exact')
    ok = value === spec.value.matchPattern.value;
  else if (spec.case === 'stringMatch' && spec.value.matchPattern.case === 'prefix')
    ok = value?.startsWith(spec.value.matchPattern.value) ?? false;
  else throw new Error(`header matcher ${spec.case} is not followed here`);
  return m.invertMatch ? !ok : ok;
}

export function routeMatches(r: Route, req: HttpRequest): boolean {
  const p = r.match!.pathSpecifier;
  const path = req.path.split('?')[0]!;
  let pathOk: boolean;
  if (p.case === 'prefix') pathOk = req.path.startsWith(p.value);
  // path_separated_prefix: the path without its query is the prefix, or the prefix and a "/".
  else if (p.case === 'pathSeparatedPrefix') pathOk = path === p.value || path.startsWith(`${p.value}/`);
  else throw new Error(`path specifier ${p.case} is not followed here`);
  return pathOk && r.match!.headers.every((h) => headerMatches(h, req));
}

function firstMatch(routes: readonly Route[], req: HttpRequest): RouteChoice {
  for (let i = 0; i < routes.length; i++)
    if (routeMatches(routes[i]!, req)) return { route: routes[i], evaluated: i + 1 };
  return { evaluated: routes.length };
}

// Like Envoy, the tree is read once: actions unpacked and maps indexed on first use, so a lookup
// costs map probes (the prefix map as Envoy's trie does: the input's prefixes, longest first).
const unpacked = new WeakMap<object, readonly Route[]>();
const indexed = new WeakMap<object, Map<string, Matcher_OnMatch>>();

function actionRoutes(cfg: TypedExtensionConfig): readonly Route[] {
  let routes = unpacked.get(cfg);
  if (!routes) {
    const list = anyUnpack(cfg.typedConfig!, RouteListSchema);
    if (!list) throw new Error(`action ${cfg.typedConfig?.typeUrl} is not followed here`);
    routes = list.routes;
    unpacked.set(cfg, routes);
  }
  return routes;
}

function onMatch(om: Matcher_OnMatch, req: HttpRequest): RouteChoice | undefined {
  const a = om.onMatch;
  if (a.case === 'matcher') return treeMatch(a.value, req);
  if (a.case !== 'action') throw new Error('OnMatch without matcher or action');
  return firstMatch(actionRoutes(a.value), req);
}

function index(map: { [key: string]: Matcher_OnMatch }): Map<string, Matcher_OnMatch> {
  let m = indexed.get(map);
  if (!m) {
    m = new Map(Object.entries(map));
    indexed.set(map, m);
  }
  return m;
}

/** undefined: the tree did not match (the caller's on_no_match applies). */
function treeMatch(m: Matcher, req: HttpRequest): RouteChoice | undefined {
  const t = m.matcherType;
  if (t.case !== 'matcherTree') throw new Error(`matcher ${t.case} is not followed here`);
  const input = anyUnpack(t.value.input!.typedConfig!, HttpRequestHeaderMatchInputSchema);
  if (!input) throw new Error(`input ${t.value.input?.typedConfig?.typeUrl} is not followed here`);
  const value = header(req, input.headerName);
  const tree = t.value.treeType;
  if (tree.case !== 'exactMatchMap' && tree.case !== 'prefixMatchMap')
    throw new Error(`tree ${tree.case} is not followed here`);
  const map = index(tree.value.map);
  let hit: Matcher_OnMatch | undefined;
  if (value !== undefined && tree.case === 'exactMatchMap') hit = map.get(value);
  else if (value !== undefined)
    for (let n = value.length; n > 0 && !hit; n--) hit = map.get(value.slice(0, n));
  if (hit) return onMatch(hit, req) ?? { evaluated: 0 };
  return m.onNoMatch ? onMatch(m.onNoMatch, req) : undefined;
}

/** The route Envoy picks in this virtual host. */
export function routeIn(vh: VirtualHost, req: HttpRequest): RouteChoice {
  if (vh.matcher) return treeMatch(vh.matcher, req) ?? { evaluated: 0 };
  return firstMatch(vh.routes, req);
}

/** The route Envoy picks in this route configuration. */
export function routeFor(rc: RouteConfiguration, req: HttpRequest): RouteChoice {
  const vh = virtualHostFor(rc, req.authority);
  return vh ? routeIn(vh, req) : { evaluated: 0 };
}
