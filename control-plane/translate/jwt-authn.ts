// The gateway's `envoy.filters.http.jwt_authn`: one provider per model with `spec.access.jwt`,
// named after the model, and a requirement per model in requirement_map that the model's routes
// name (PerRouteConfig.requirement_name), so a token for one model's issuer is never checked
// against another's keys. Envoy verifies the signature, issuer, exp/nbf (with the rule's clock
// skew) and the key's algorithm; it keeps the verified header and payload in dynamic metadata for
// the authorization service and the claims RBAC, and forwards the token so the pods check again.
// The audience is left to the authorization service: Envoy answers a token for a foreign
// audience with 403, where docs/ACCESS.md says 401. Remote JWKS are fetched through a cluster of
// their own (jwksCluster). https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/jwt_authn_filter
import { create } from '@bufbuild/protobuf';
import { parseDurationNs } from '../../kernel/runtime/duration.js';
import { type Cluster, Cluster_DiscoveryType } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import {
  type JwtAuthentication,
  JwtAuthenticationSchema,
  type JwtProvider,
  JwtProviderSchema,
  type JwtRequirement,
  JwtRequirementSchema,
  type PerRouteConfig,
  PerRouteConfigSchema,
} from '../../protos/gen/envoy/extensions/filters/http/jwt_authn/v3/config_pb.js';
import { SubjectAltNameMatcher_SanType } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/common_pb.js';
import { UpstreamTlsContextSchema } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import type { JwtRule } from '../policy/access.js';
import type { ModelRoute } from '../policy/types.js';
import { newCluster } from './literals.js';
import { jwksClusterName } from './names.js';
import type { TranslateOptions } from './options.js';
import { duration, pack } from './proto.js';
import { TLS_TRANSPORT_SOCKET } from './tls.js';

export const JWT_FILTER = 'envoy.filters.http.jwt_authn';
/** Dynamic metadata keys (namespace JWT_FILTER) of a verified token's payload and header. */
export const JWT_PAYLOAD = 'jwt_payload';
export const JWT_HEADER = 'jwt_header';
const JWKS_CACHE = '300s';
const JWKS_FETCH_TIMEOUT = '5s';

function provider(model: string, rule: JwtRule): JwtProvider {
  const jwks = rule.jwks;
  return create(JwtProviderSchema, {
    issuer: rule.issuer,
    forward: true,
    // Only the header: the filter's default also reads an access_token query parameter, which
    // ends up in access logs.
    fromHeaders: [{ name: 'authorization', valuePrefix: 'Bearer ' }],
    jwksSourceSpecifier:
      'uri' in jwks
        ? {
            case: 'remoteJwks',
            value: {
              httpUri: {
                uri: jwks.uri,
                httpUpstreamType: { case: 'cluster', value: jwksClusterName(model) },
                timeout: duration(JWKS_FETCH_TIMEOUT),
              },
              cacheDuration: duration(JWKS_CACHE),
              // Fetched when the listener is built, not by the first request that needs it.
              asyncFetch: {},
            },
          }
        : {
            case: 'localJwks',
            value: { specifier: { case: 'inlineString', value: JSON.stringify(jwks.inline) } },
          },
    payloadInMetadata: JWT_PAYLOAD,
    headerInMetadata: JWT_HEADER,
    // `scope` as a list in the metadata, so the claims RBAC matches a scope with a list matcher.
    normalizePayloadInMetadata: { spaceDelimitedClaims: ['scope'] },
    clockSkewSeconds: Math.ceil((parseDurationNs(rule.clockSkew) ?? 0) / 1e9),
  });
}

/**
 * A model's requirement: its provider; with API keys as well, a missing or failed token passes
 * here and the authorization service decides (either credential is enough).
 */
function requirement(model: string, route: ModelRoute): JwtRequirement {
  const own = create(JwtRequirementSchema, { requiresType: { case: 'providerName', value: model } });
  if (!route.spec.access?.apiKeys) return own;
  return create(JwtRequirementSchema, {
    requiresType: {
      case: 'requiresAny',
      value: { requirements: [own, { requiresType: { case: 'allowMissingOrFailed', value: {} } }] },
    },
  });
}

/** The filter's config over every model with a JWT rule; undefined when none has one. */
export function jwtAuthnConfig(routes: readonly ModelRoute[]): JwtAuthentication | undefined {
  const providers: Record<string, JwtProvider> = {};
  const requirementMap: Record<string, JwtRequirement> = {};
  for (const r of routes) {
    const rule = r.spec.access?.jwt;
    if (!rule) continue;
    providers[r.spec.model] = provider(r.spec.model, rule);
    requirementMap[r.spec.model] = requirement(r.spec.model, r);
  }
  if (Object.keys(providers).length === 0) return undefined;
  return create(JwtAuthenticationSchema, { providers, requirementMap });
}

/** What a model's routes carry for the filter: the name of the model's requirement. */
export function jwtPerRoute(model: string): PerRouteConfig {
  return create(PerRouteConfigSchema, { requirementSpecifier: { case: 'requirementName', value: model } });
}

function isIpLiteral(host: string): boolean {
  return /^[0-9.]+$/.test(host) || host.startsWith('[');
}

/** The cluster a model's remote JWKS is fetched through; undefined for inline keys. */
export function jwksCluster(route: ModelRoute, options: TranslateOptions): Cluster | undefined {
  const jwks = route.spec.access?.jwt?.jwks;
  if (!jwks || !('uri' in jwks)) return undefined;
  const url = new URL(jwks.uri);
  const https = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port || (https ? 443 : 80));
  const name = jwksClusterName(route.spec.model);
  const c = newCluster(name);
  c.clusterDiscoveryType = {
    case: 'type',
    value: isIpLiteral(url.hostname) ? Cluster_DiscoveryType.STATIC : Cluster_DiscoveryType.STRICT_DNS,
  };
  c.connectTimeout = duration('5s');
  c.loadAssignment = create(ClusterLoadAssignmentSchema, {
    clusterName: name,
    endpoints: [
      {
        lbEndpoints: [
          {
            hostIdentifier: {
              case: 'endpoint',
              value: {
                address: {
                  address: {
                    case: 'socketAddress',
                    value: { address: host, portSpecifier: { case: 'portValue', value: port } },
                  },
                },
              },
            },
          },
        ],
      },
    ],
  });
  if (https)
    c.transportSocket = {
      $typeName: 'envoy.config.core.v3.TransportSocket',
      name: TLS_TRANSPORT_SOCKET,
      configType: {
        case: 'typedConfig',
        value: pack(
          UpstreamTlsContextSchema,
          create(UpstreamTlsContextSchema, {
            sni: host,
            commonTlsContext: {
              validationContextType: {
                case: 'validationContext',
                value: {
                  trustedCa: { specifier: { case: 'filename', value: options.jwksCaFile } },
                  matchTypedSubjectAltNames: [
                    {
                      sanType: SubjectAltNameMatcher_SanType.DNS,
                      matcher: { matchPattern: { case: 'exact', value: host } },
                    },
                  ],
                },
              },
            },
          }),
        ),
      },
    };
  return c;
}
