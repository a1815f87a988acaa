// The gateway's `envoy.filters.http.ext_authz` to the Switchyard authorization service
// (control-plane/authz, envoy.service.auth.v3.Authorization/Check over gRPC). Envoy's pinned API
// has no API-key filter, so the service decides what Envoy's own filters cannot answer with the
// codes of docs/ACCESS.md: API keys (401 unknown, 403 another model's), a token's audience and
// algorithm (401), a request without a client certificate where identities are set (401), and
// the tenant (it overwrites TENANT_HEADER, which the rate limit's descriptors read). The route
// names its model in the check's context extensions. Disabled on the listener and enabled per
// route. When the service cannot answer, the gateway refuses with 503 unless the operator opted
// in to fail open (failure_mode_allow). The token itself is never sent: only x-api-key, and the
// verified token's header and payload from jwt_authn's metadata.
// https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/ext_authz_filter
import { create } from '@bufbuild/protobuf';
import { ApiVersion } from '../../protos/gen/envoy/config/core/v3/config_source_pb.js';
import {
  type ExtAuthz,
  type ExtAuthzPerRoute,
  ExtAuthzPerRouteSchema,
  ExtAuthzSchema,
} from '../../protos/gen/envoy/extensions/filters/http/ext_authz/v3/ext_authz_pb.js';
import { StatusCode } from '../../protos/gen/envoy/type/v3/http_status_pb.js';
import type { AccessSpec } from '../policy/access.js';
import { JWT_FILTER } from './jwt-authn.js';
import type { TranslateOptions } from './options.js';
import { duration } from './proto.js';

export const AUTHZ_FILTER = 'envoy.filters.http.ext_authz';
/** Set by the authorization service on every request it lets through; never the client's. */
export const TENANT_HEADER = 'x-switchyard-tenant';
export const API_KEY_HEADER = 'x-api-key';
/** The context extension that names the model a route serves. */
export const MODEL_EXTENSION = 'model';

/** Whether a model's routes call the authorization service (see the file comment). */
export function needsAuthz(access: AccessSpec): boolean {
  const rl = access.rateLimit;
  return Boolean(access.jwt || access.apiKeys || access.identities || rl?.perTenant || rl?.tenants);
}

export function extAuthzConfig(options: TranslateOptions): ExtAuthz {
  return create(ExtAuthzSchema, {
    services: {
      case: 'grpcService',
      value: {
        targetSpecifier: { case: 'envoyGrpc', value: { clusterName: options.authzCluster } },
        timeout: duration(options.authzTimeout),
      },
    },
    transportApiVersion: ApiVersion.V3,
    failureModeAllow: options.authzFailOpen,
    // An unreachable service is not a refusal of the caller: 503 (gRPC UNAVAILABLE), not 403.
    statusOnError: { code: StatusCode.ServiceUnavailable },
    metadataContextNamespaces: [JWT_FILTER],
    allowedHeaders: { patterns: [{ matchPattern: { case: 'exact', value: API_KEY_HEADER } }] },
  });
}

export function extAuthzPerRoute(model: string): ExtAuthzPerRoute {
  return create(ExtAuthzPerRouteSchema, {
    override: { case: 'checkSettings', value: { contextExtensions: { [MODEL_EXTENSION]: model } } },
  });
}
