// The Switchyard authorization service: envoy.service.auth.v3.Authorization/Check for the Envoy
// gateway's ext_authz filter, served by the control plane on its xDS port (the same gRPC server,
// the same mTLS and the gateway's existing trust), with the policies the control plane serves
// now, so a changed key reaches it with the next publish and no extra process or store exists.
// An OK answer overwrites the tenant header (a client cannot pick its bucket) and tells the
// claims RBAC, through dynamic metadata, which credential was accepted. Refusals carry the
// HTTP status Envoy answers with (401 / 403) and the matching gRPC code. docs/ACCESS.md.
import { create, type JsonObject } from '@bufbuild/protobuf';
import {
  type ServerUnaryCall,
  type ServiceDefinition,
  type sendUnaryData,
  status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { serviceDefinition } from '../../kernel/grpc/service-definition.js';
import { HeaderValueOption_HeaderAppendAction } from '../../protos/gen/envoy/config/core/v3/base_pb.js';
import {
  Authorization,
  type CheckRequest,
  type CheckResponse,
  CheckResponseSchema,
} from '../../protos/gen/envoy/service/auth/v3/external_auth_pb.js';
import type { ModelRoute } from '../policy/types.js';
import { API_KEY_CREDENTIAL, CREDENTIAL_KEY } from '../translate/access-rbac.js';
import { API_KEY_HEADER, MODEL_EXTENSION, TENANT_HEADER } from '../translate/ext-authz.js';
import { JWT_FILTER, JWT_HEADER, JWT_PAYLOAD } from '../translate/jwt-authn.js';
import { AccessIndexCache, type CheckInput, type RefusalReason, type Verdict } from './decide.js';

/** google.rpc.Code values Envoy maps onto the response. */
const GRPC_OK = 0;
const GRPC_PERMISSION_DENIED = 7;
const GRPC_UNAUTHENTICATED = 16;

export interface AuthorizationHooks {
  /** The policies served now. */
  readonly routes: () => readonly ModelRoute[];
  /**
   * Answer only callers with a verified client certificate: the control plane also serves
   * plaintext xDS for proxyless gRPC on the same server, and a key oracle must not be open there.
   */
  readonly mtlsOnly?: boolean;
  /** Called for each refusal (a bounded reason; never the credential). */
  readonly onRefusal?: (model: string, reason: RefusalReason) => void;
}

function headerOf(req: CheckRequest, name: string): string | undefined {
  const http = req.attributes?.request?.http;
  if (!http) return undefined;
  const v = http.headers[name];
  if (v !== undefined) return v;
  return http.headerMap?.headers.find((h) => h.key === name)?.value;
}

function objectAt(md: JsonObject | undefined, key: string): CheckInput['jwtPayload'] {
  const v = md?.[key];
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as CheckInput['jwtPayload']) : undefined;
}

/** The parts of a CheckRequest the decision reads. */
export function checkInput(req: CheckRequest): CheckInput {
  const attrs = req.attributes;
  const jwt = attrs?.metadataContext?.filterMetadata[JWT_FILTER];
  const apiKey = headerOf(req, API_KEY_HEADER);
  const jwtPayload = objectAt(jwt, JWT_PAYLOAD);
  const jwtHeader = objectAt(jwt, JWT_HEADER);
  const model = attrs?.contextExtensions[MODEL_EXTENSION];
  return {
    principal: attrs?.source?.principal ?? '',
    ...(model !== undefined ? { model } : {}),
    ...(apiKey ? { apiKey } : {}),
    ...(jwtPayload ? { jwtPayload } : {}),
    ...(jwtHeader ? { jwtHeader } : {}),
  };
}

export function checkResponse(verdict: Verdict): CheckResponse {
  if (verdict.ok)
    return create(CheckResponseSchema, {
      status: { code: GRPC_OK },
      httpResponse: {
        case: 'okResponse',
        value: {
          headers: [
            {
              header: { key: TENANT_HEADER, value: verdict.tenant },
              appendAction: HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
            },
          ],
        },
      },
      dynamicMetadata: {
        [CREDENTIAL_KEY]: verdict.credential === 'api-key' ? API_KEY_CREDENTIAL : verdict.credential,
      },
    });
  const unauthenticated = verdict.status === 401;
  return create(CheckResponseSchema, {
    status: {
      code: unauthenticated ? GRPC_UNAUTHENTICATED : GRPC_PERMISSION_DENIED,
      message: verdict.reason,
    },
    httpResponse: {
      case: 'deniedResponse',
      value: {
        status: { code: verdict.status },
        headers: unauthenticated
          ? [{ header: { key: 'www-authenticate', value: 'Bearer realm="switchyard"' } }]
          : [],
        body: `${unauthenticated ? 'unauthenticated' : 'permission denied'}: ${verdict.reason}\n`,
      },
    },
  });
}

/** The service for a gRPC server: its definition and implementation. */
export function authorizationService(hooks: AuthorizationHooks): {
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
} {
  const indexes = new AccessIndexCache();
  return {
    definition: serviceDefinition(Authorization),
    implementation: {
      check: (call: ServerUnaryCall<CheckRequest, CheckResponse>, callback: sendUnaryData<CheckResponse>) => {
        if (hooks.mtlsOnly && !call.getAuthContext()?.sslPeerCertificate) {
          callback({
            code: status.PERMISSION_DENIED,
            details: 'the authorization service answers mTLS callers only',
          });
          return;
        }
        const input = checkInput(call.request);
        const verdict = indexes.get(hooks.routes()).decide(input);
        if (!verdict.ok) hooks.onRefusal?.(input.model ?? '', verdict.reason);
        callback(null, checkResponse(verdict));
      },
    },
  };
}
