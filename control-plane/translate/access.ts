// `spec.access` on the Envoy gateway (docs/ACCESS.md, "At the Envoy gateway"): the HTTP filters
// the gateway listener runs before the router, in the order of the checks, and what each limited
// model's routes carry to enable them. The filters are on the listener only when some model
// needs them, so a gateway without access policies is served as before:
//   1. IDENTITY_FILTER (rbac)       the mTLS peer: another identity is 403
//   2. jwt_authn                    the bearer token: bad signature, issuer or time is 401
//   3. ext_authz                    API keys, audience, algorithm, missing certificate; tenant
//   4. CLAIMS_FILTER (rbac)         required claims and scopes: 403
//   5. local_ratelimit              model and tenant buckets: 429 / RESOURCE_EXHAUSTED
// 1 to 4 are disabled on the listener and enabled per route, so they cost nothing on a model
// without access; 5 acts only on requests whose route builds its descriptors.
import { create, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import type { Any } from '@bufbuild/protobuf/wkt';
import type { Cluster } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import {
  FilterConfigSchema,
  type Route,
} from '../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import {
  ExtAuthzPerRouteSchema,
  ExtAuthzSchema,
} from '../../protos/gen/envoy/extensions/filters/http/ext_authz/v3/ext_authz_pb.js';
import {
  JwtAuthenticationSchema,
  PerRouteConfigSchema,
} from '../../protos/gen/envoy/extensions/filters/http/jwt_authn/v3/config_pb.js';
import { LocalRateLimitSchema } from '../../protos/gen/envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit_pb.js';
import {
  RBACPerRouteSchema,
  RBACSchema,
} from '../../protos/gen/envoy/extensions/filters/http/rbac/v3/rbac_pb.js';
import {
  type HttpFilter,
  HttpFilterSchema,
} from '../../protos/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import type { ModelRoute } from '../policy/types.js';
import { CLAIMS_FILTER, claimsPerRoute, IDENTITY_FILTER, identityPerRoute } from './access-rbac.js';
import { AUTHZ_FILTER, extAuthzConfig, extAuthzPerRoute, needsAuthz, TENANT_HEADER } from './ext-authz.js';
import { JWT_FILTER, jwksCluster, jwtAuthnConfig, jwtPerRoute } from './jwt-authn.js';
import { localRateLimitConfig, RATE_LIMIT_FILTER, routeRateLimits } from './local-ratelimit.js';
import type { TranslateOptions } from './options.js';
import { pack } from './proto.js';

function filter<D extends DescMessage>(
  name: string,
  schema: D,
  config: MessageShape<D>,
  disabled: boolean,
): HttpFilter {
  return create(HttpFilterSchema, {
    name,
    configType: { case: 'typedConfig', value: pack(schema, config) },
    disabled,
  });
}

/** The access filters of the gateway listener, in order; empty when no model has `spec.access`. */
export function accessHttpFilters(routes: readonly ModelRoute[], options: TranslateOptions): HttpFilter[] {
  const limited = routes.filter((r) => r.spec.access);
  if (limited.length === 0) return [];
  const out: HttpFilter[] = [];
  if (limited.some((r) => r.spec.access!.identities))
    out.push(filter(IDENTITY_FILTER, RBACSchema, create(RBACSchema), true));
  const jwt = jwtAuthnConfig(limited);
  if (jwt) out.push(filter(JWT_FILTER, JwtAuthenticationSchema, jwt, true));
  if (limited.some((r) => needsAuthz(r.spec.access!)))
    out.push(filter(AUTHZ_FILTER, ExtAuthzSchema, extAuthzConfig(options), true));
  if (limited.some((r) => claimsPerRoute(r.spec.access!)))
    out.push(filter(CLAIMS_FILTER, RBACSchema, create(RBACSchema), true));
  const rl = localRateLimitConfig(limited);
  if (rl) out.push(filter(RATE_LIMIT_FILTER, LocalRateLimitSchema, rl, false));
  return out;
}

/** A per-route config wrapped so that it enables the filter the listener disables. */
function enable<D extends DescMessage>(schema: D, config: MessageShape<D>): Any {
  return pack(FilterConfigSchema, create(FilterConfigSchema, { config: pack(schema, config) }));
}

/**
 * Gives a limited model's gateway routes what enables their filters: per-filter configs, the
 * rate limit descriptors' actions, and the removal of the tenant header before the pods.
 */
export function applyRouteAccess(routes: readonly Route[], route: ModelRoute): void {
  const access = route.spec.access;
  if (!access) return;
  const model = route.spec.model;
  const perFilter: Record<string, Any> = {};
  const identity = identityPerRoute(access);
  if (identity) perFilter[IDENTITY_FILTER] = enable(RBACPerRouteSchema, identity);
  if (access.jwt) perFilter[JWT_FILTER] = enable(PerRouteConfigSchema, jwtPerRoute(model));
  if (needsAuthz(access)) perFilter[AUTHZ_FILTER] = enable(ExtAuthzPerRouteSchema, extAuthzPerRoute(model));
  const claims = claimsPerRoute(access);
  if (claims) perFilter[CLAIMS_FILTER] = enable(RBACPerRouteSchema, claims);
  const rateLimits = routeRateLimits(route);
  for (const r of routes) {
    r.typedPerFilterConfig = { ...r.typedPerFilterConfig, ...perFilter };
    if (r.action.case === 'route') r.action.value.rateLimits = rateLimits;
    r.requestHeadersToRemove = [...r.requestHeadersToRemove, TENANT_HEADER];
  }
}

/** Clusters a model's access needs on the gateway: its remote JWKS host. */
export function accessClusters(route: ModelRoute, options: TranslateOptions): Cluster[] {
  const c = jwksCluster(route, options);
  return c ? [c] : [];
}
