// Upstream mTLS for a model's clusters, in the shape each flavor accepts. Envoy takes its
// identity and trust bundle over SDS (secret names from the options; the PKI fills them);
// proxyless gRPC rejects SDS and names certificate_provider_instance entries from its own
// bootstrap instead (xDS rule 7, docs/XDS.md). Both check the pod's SPIFFE ID as a URI SAN.
import { create } from '@bufbuild/protobuf';
import type { Cluster_TransportSocketMatch } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import {
  type TransportSocket,
  TransportSocketSchema,
} from '../../protos/gen/envoy/config/core/v3/base_pb.js';
import { SubjectAltNameMatcher_SanType } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/common_pb.js';
import {
  DownstreamTlsContextSchema,
  type UpstreamTlsContext,
  UpstreamTlsContextSchema,
} from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import type { ModelRoute } from '../policy/types.js';
import { TLS_MATCH_KEY, TLS_MATCH_VALUE } from './endpoints.js';
import { podIdentity, type TranslateOptions } from './options.js';
import { adsConfigSource, pack } from './proto.js';
import { type StringHoleFill, stringHole } from './string-hole.js';
import type { Flavor } from './types.js';

export const TLS_TRANSPORT_SOCKET = 'envoy.transport_sockets.tls';

function upstreamTlsContext(
  flavor: Flavor,
  options: TranslateOptions,
  alpn: readonly string[],
  san: string,
): UpstreamTlsContext {
  return flavor === 'grpc'
    ? create(UpstreamTlsContextSchema, {
        commonTlsContext: {
          tlsCertificateProviderInstance: { instanceName: options.certificateProviderInstance },
          // A plain validation_context: Envoy's combined one requires an SDS secret config,
          // which gRPC rejects.
          validationContextType: {
            case: 'validationContext',
            value: {
              caCertificateProviderInstance: { instanceName: options.caCertificateProviderInstance },
              // gRPC reads the older match_subject_alt_names (A29), not the typed list.
              matchSubjectAltNames: [{ matchPattern: { case: 'exact', value: san } }],
            },
          },
        },
      })
    : create(UpstreamTlsContextSchema, {
        commonTlsContext: {
          tlsCertificateSdsSecretConfigs: [
            { name: options.identitySecretName, sdsConfig: adsConfigSource() },
          ],
          validationContextType: {
            case: 'combinedValidationContext',
            value: {
              defaultValidationContext: {
                matchTypedSubjectAltNames: [
                  {
                    sanType: SubjectAltNameMatcher_SanType.URI,
                    matcher: { matchPattern: { case: 'exact', value: san } },
                  },
                ],
              },
              validationContextSdsSecretConfig: {
                name: options.trustBundleSecretName,
                sdsConfig: adsConfigSource(),
              },
            },
          },
          alpnProtocols: [...alpn],
        },
      });
}

const TLS_MATCH = Object.freeze({ [TLS_MATCH_KEY]: TLS_MATCH_VALUE });

const UPSTREAM_TLS_TYPE_URL = `type.googleapis.com/${UpstreamTlsContextSchema.typeName}`;

/**
 * The encoded UpstreamTlsContext for one pod identity. It differs per model only in the SAN,
 * and building and packing it was an eighth of a full Envoy-flavor translation: its bytes are
 * filled into a template encoded once per flavor, options and ALPN (string-hole.ts).
 */
export function upstreamTlsBytes(
  flavor: Flavor,
  options: TranslateOptions,
  alpn: readonly string[],
  san: string,
): Uint8Array {
  return tlsFill(flavor, options, alpn)(san);
}

// The template fill per options object, flavor and ALPN list: the translator resolves its
// options once per translation, so a cluster finds its fill by an identity lookup and two short
// keys, where the interned key (six strings joined) was spelled and hashed for every cluster.
// Bounded by the live options objects, the two flavors and the ALPN lists spelled.
const fills = new WeakMap<TranslateOptions, Map<string, StringHoleFill>>();

/** A key per ALPN list: exact (a protocol id may hold a comma), cheap for the usual one id. */
function alpnKey(alpn: readonly string[]): string {
  if (alpn.length === 0) return '';
  return alpn.length === 1 ? `1:${alpn[0]}` : JSON.stringify(alpn);
}

function tlsFill(flavor: Flavor, options: TranslateOptions, alpn: readonly string[]): StringHoleFill {
  let byKind = fills.get(options);
  if (!byKind) {
    byKind = new Map();
    fills.set(options, byKind);
  }
  const kind = `${flavor}\u0000${alpnKey(alpn)}`;
  let fill = byKind.get(kind);
  if (!fill) {
    fill = stringHole(UpstreamTlsContextSchema, (s) => upstreamTlsContext(flavor, options, alpn, s));
    byKind.set(kind, fill);
  }
  return fill;
}

function upstreamTls(
  route: ModelRoute,
  flavor: Flavor,
  options: TranslateOptions,
  alpn: readonly string[],
): TransportSocket {
  const san = podIdentity(options, route.metadata.namespace, route.spec.model);
  return {
    $typeName: 'envoy.config.core.v3.TransportSocket',
    name: TLS_TRANSPORT_SOCKET,
    configType: {
      case: 'typedConfig',
      value: {
        $typeName: 'google.protobuf.Any',
        typeUrl: UPSTREAM_TLS_TYPE_URL,
        value: upstreamTlsBytes(flavor, options, alpn, san),
      },
    },
  };
}

/**
 * transport_socket (STRICT) or transport_socket_matches (PERMISSIVE, Envoy) for a cluster;
 * `alpn` is what Envoy offers the pod (h2 on the gRPC port, http/1.1 on the HTTP port).
 */
export function clusterTls(
  route: ModelRoute,
  flavor: Flavor,
  options: TranslateOptions,
  alpn: readonly string[],
): { transportSocket?: TransportSocket; transportSocketMatches: Cluster_TransportSocketMatch[] } {
  switch (route.spec.mtls) {
    case 'STRICT':
      return { transportSocket: upstreamTls(route, flavor, options, alpn), transportSocketMatches: [] };
    case 'PERMISSIVE':
      // gRPC has no per-endpoint transport sockets: PERMISSIVE stays plaintext there.
      if (flavor === 'grpc') return { transportSocketMatches: [] };
      // A typed literal: create() converts the match Struct anew for every model.
      return {
        transportSocketMatches: [
          {
            $typeName: 'envoy.config.cluster.v3.Cluster.TransportSocketMatch',
            name: TLS_MATCH_VALUE,
            match: TLS_MATCH,
            transportSocket: upstreamTls(route, flavor, options, alpn),
          },
        ],
      };
    case 'DISABLE':
      return { transportSocketMatches: [] };
  }
}

/**
 * The gateway listener's DownstreamTlsContext (options.gatewayMtls): the gateway's identity and
 * the trust bundle over SDS (a per-identity group serves both, see xds/sds/), a client
 * certificate required, and, when listed, exact URI SAN matchers on the allowed callers.
 */
export function gatewayDownstreamTls(options: TranslateOptions): TransportSocket {
  const context = create(DownstreamTlsContextSchema, {
    requireClientCertificate: true,
    commonTlsContext: {
      tlsCertificateSdsSecretConfigs: [{ name: options.identitySecretName, sdsConfig: adsConfigSource() }],
      validationContextType: {
        case: 'combinedValidationContext',
        value: {
          defaultValidationContext: {
            matchTypedSubjectAltNames: options.gatewayClientIdentities.map((id) => ({
              sanType: SubjectAltNameMatcher_SanType.URI,
              matcher: { matchPattern: { case: 'exact' as const, value: id } },
            })),
          },
          validationContextSdsSecretConfig: {
            name: options.trustBundleSecretName,
            sdsConfig: adsConfigSource(),
          },
        },
      },
      alpnProtocols: ['h2', 'http/1.1'],
    },
  });
  return create(TransportSocketSchema, {
    name: TLS_TRANSPORT_SOCKET,
    configType: { case: 'typedConfig', value: pack(DownstreamTlsContextSchema, context) },
  });
}
