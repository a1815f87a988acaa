// The gateway's two `envoy.filters.http.rbac` instances for `spec.access` (docs/ACCESS.md):
// - IDENTITY_FILTER, first: the mTLS peer's SPIFFE ID must match one of `identities` (exact, or
//   under a `/*` prefix at a path boundary) or the connection must carry no certificate at all,
//   which the authorization service then refuses with 401 (RBAC can only answer 403). A
//   certificate with another identity gets 403 before any credential is looked at.
// - CLAIMS_FILTER, after jwt_authn and ext_authz: a verified token must carry every required
//   claim and scope (403 otherwise), unless the authorization service accepted an API key.
// Both are disabled on the listener and enabled per route (FilterConfig), so a model without
// these rules pays nothing. https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/rbac_filter
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  type Principal,
  PrincipalSchema,
  RBAC_Action,
} from '../../protos/gen/envoy/config/rbac/v3/rbac_pb.js';
import {
  type RBACPerRoute,
  RBACPerRouteSchema,
} from '../../protos/gen/envoy/extensions/filters/http/rbac/v3/rbac_pb.js';
import { MetadataMatcherSchema } from '../../protos/gen/envoy/type/matcher/v3/metadata_pb.js';
import type { AccessSpec, JwtRule } from '../policy/access.js';
import { JWT_FILTER, JWT_PAYLOAD } from './jwt-authn.js';

export const IDENTITY_FILTER = 'switchyard.access.identity';
export const CLAIMS_FILTER = 'switchyard.access.claims';
/** The namespace the authorization service's dynamic metadata lands in, and its key. */
export const AUTHZ_METADATA_NAMESPACE = 'envoy.filters.http.ext_authz';
export const CREDENTIAL_KEY = 'credential';
export const API_KEY_CREDENTIAL = 'api-key';

function principal(
  identifier: NonNullable<MessageInitShape<typeof PrincipalSchema>['identifier']>,
): Principal {
  return create(PrincipalSchema, { identifier });
}

function peerIdentity(rule: string): Principal {
  const matchPattern = rule.endsWith('/*')
    ? { case: 'prefix' as const, value: rule.slice(0, -1) }
    : { case: 'exact' as const, value: rule };
  return principal({ case: 'authenticated', value: { principalName: { matchPattern } } });
}

function allow(name: string, principals: Principal[]): RBACPerRoute {
  return create(RBACPerRouteSchema, {
    rbac: {
      rules: {
        action: RBAC_Action.ALLOW,
        policies: { [name]: { permissions: [{ rule: { case: 'any', value: true } }], principals } },
      },
    },
  });
}

/** The identity rule of a model's routes; undefined without `identities`. */
export function identityPerRoute(access: AccessSpec): RBACPerRoute | undefined {
  if (!access.identities) return undefined;
  const noCertificate = principal({
    case: 'notId',
    value: { identifier: { case: 'authenticated', value: {} } },
  });
  return allow('identities', [...access.identities.map(peerIdentity), noCertificate]);
}

type ValueInit = NonNullable<MessageInitShape<typeof MetadataMatcherSchema>['value']>;

/** A principal matching the dynamic metadata value at `path` of namespace `filter`. */
function metadata(filter: string, path: readonly string[], value: ValueInit): Principal {
  return principal({
    case: 'metadata',
    value: create(MetadataMatcherSchema, {
      filter,
      path: path.map((key) => ({ segment: { case: 'key' as const, value: key } })),
      value,
    }),
  });
}

function exact(value: string): ValueInit {
  return { matchPattern: { case: 'stringMatch', value: { matchPattern: { case: 'exact', value } } } };
}

function claimEquals(claim: string, value: string): Principal {
  return metadata(JWT_FILTER, [JWT_PAYLOAD, claim], exact(value));
}

/** `scope` (space-separated, normalized to a list by jwt_authn) or `scp` (a list) holds it. */
function hasScope(scope: string): Principal {
  const inList = (claim: string) =>
    metadata(JWT_FILTER, [JWT_PAYLOAD, claim], {
      matchPattern: { case: 'listMatch', value: { matchPattern: { case: 'oneOf', value: exact(scope) } } },
    });
  return principal({ case: 'orIds', value: { ids: [inList('scope'), inList('scp')] } });
}

/** The claims rule of a model's routes; undefined when its JWT rule asks for no claim or scope. */
export function claimsPerRoute(access: AccessSpec): RBACPerRoute | undefined {
  const jwt: JwtRule | undefined = access.jwt;
  if (!jwt) return undefined;
  const claims = Object.keys(jwt.requiredClaims).sort();
  if (claims.length === 0 && jwt.scopes.length === 0) return undefined;
  const checks = [...claims.map((c) => claimEquals(c, jwt.requiredClaims[c]!)), ...jwt.scopes.map(hasScope)];
  const token = principal({ case: 'andIds', value: { ids: checks } });
  if (!access.apiKeys) return allow('claims', [token]);
  const apiKey = metadata(AUTHZ_METADATA_NAMESPACE, [CREDENTIAL_KEY], exact(API_KEY_CREDENTIAL));
  return allow('claims', [apiKey, token]);
}
