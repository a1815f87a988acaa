// LDS for pods that run as xDS-managed gRPC servers (gRFC A36): one server-side Listener per pod
// address (pod-servers.ts decides the rules), named as the pod's bootstrap template asks
// (names.ts), with its address equal to the one the pod binds (grpc-js-xds checks both). One
// filter chain: an HttpConnectionManager whose filters are RBAC (gRFC A41, only when the pod's
// models restrict identities) then the router, an inline route configuration whose one route is
// a NonForwardingAction (what a server's routes must be), and, under STRICT, a
// DownstreamTlsContext over the certificate_provider_instance names of the pod's bootstrap with
// a client certificate required (gRFC A29). PERMISSIVE and DISABLE serve plaintext: grpc-js-xds
// cannot pick a filter chain by transport protocol, so there is no "both" on one port.
// Pure: no I/O, no clock.
import { create } from '@bufbuild/protobuf';
import { AddressSchema } from '../../protos/gen/envoy/config/core/v3/address_pb.js';
import {
  TrafficDirection,
  type TransportSocket,
  TransportSocketSchema,
} from '../../protos/gen/envoy/config/core/v3/base_pb.js';
import {
  type Filter,
  type FilterChain,
  FilterChainSchema,
  FilterSchema,
} from '../../protos/gen/envoy/config/listener/v3/listener_components_pb.js';
import type { Listener } from '../../protos/gen/envoy/config/listener/v3/listener_pb.js';
import { RBAC_Action } from '../../protos/gen/envoy/config/rbac/v3/rbac_pb.js';
import { RouteConfigurationSchema } from '../../protos/gen/envoy/config/route/v3/route_pb.js';
import { RBACSchema } from '../../protos/gen/envoy/extensions/filters/http/rbac/v3/rbac_pb.js';
import { RouterSchema } from '../../protos/gen/envoy/extensions/filters/http/router/v3/router_pb.js';
import {
  HttpConnectionManager_CodecType,
  HttpConnectionManagerSchema,
  type HttpFilter,
  HttpFilterSchema,
} from '../../protos/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { DownstreamTlsContextSchema } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import type { ModelRoute } from '../policy/types.js';
import { HCM_FILTER, ROUTER_FILTER } from './listeners.js';
import { newListener } from './literals.js';
import { POD_SERVER_ROUTE_CONFIG, podServerListenerName } from './names.js';
import type { TranslateOptions } from './options.js';
import { type PodServer, podServers } from './pod-servers.js';
import { interningIn, pack, shared } from './proto.js';
import { TLS_TRANSPORT_SOCKET } from './tls.js';
import { TranslationCache } from './translation-cache.js';
import type { EndpointTable, ResourceSet } from './types.js';

export const RBAC_FILTER = 'envoy.filters.http.rbac';
/** The one RBAC policy's name: who may call this pod at all. */
export const POD_CALLERS_POLICY = 'switchyard-pod-callers';

function routerFilter(): HttpFilter {
  return create(HttpFilterSchema, {
    name: ROUTER_FILTER,
    configType: { case: 'typedConfig', value: pack(RouterSchema, create(RouterSchema)) },
  });
}

/** SPIFFE IDs as A41 principals: `authenticated.principal_name`, matched against the URI SAN. */
function rbacFilter(identities: readonly string[]): HttpFilter {
  const rbac = create(RBACSchema, {
    rules: {
      action: RBAC_Action.ALLOW,
      policies: {
        [POD_CALLERS_POLICY]: {
          permissions: [{ rule: { case: 'any', value: true } }],
          principals: identities.map((id) => ({
            identifier: {
              case: 'authenticated' as const,
              value: {
                // `.../ns/batch/*` allows what lies under `.../ns/batch/` (policy/access.ts).
                principalName: {
                  matchPattern: id.endsWith('/*')
                    ? { case: 'prefix' as const, value: id.slice(0, -1) }
                    : { case: 'exact' as const, value: id },
                },
              },
            },
          })),
        },
      },
    },
  });
  return create(HttpFilterSchema, {
    name: RBAC_FILTER,
    configType: { case: 'typedConfig', value: pack(RBACSchema, rbac) },
  });
}

function downstreamTls(options: TranslateOptions): TransportSocket {
  const context = create(DownstreamTlsContextSchema, {
    requireClientCertificate: true,
    commonTlsContext: {
      tlsCertificateProviderInstance: { instanceName: options.certificateProviderInstance },
      validationContextType: {
        case: 'validationContext',
        value: { caCertificateProviderInstance: { instanceName: options.caCertificateProviderInstance } },
      },
    },
  });
  return create(TransportSocketSchema, {
    name: TLS_TRANSPORT_SOCKET,
    configType: { case: 'typedConfig', value: pack(DownstreamTlsContextSchema, context) },
  });
}

/**
 * The HttpConnectionManager filter: it depends only on the identity rule, so pods with the same
 * rule share one (built, packed and PGV-checked once).
 */
function hcmFilter(identities: readonly string[] | undefined): Filter {
  return shared('pod-server-hcm', identities ? identities.join('\n') : '-', () => {
    const routeConfig = create(RouteConfigurationSchema, {
      name: POD_SERVER_ROUTE_CONFIG,
      virtualHosts: [
        {
          name: 'pod',
          domains: ['*'],
          routes: [
            {
              match: { pathSpecifier: { case: 'prefix', value: '' } },
              action: { case: 'nonForwardingAction', value: {} },
            },
          ],
        },
      ],
    });
    const hcm = create(HttpConnectionManagerSchema, {
      statPrefix: 'pod-server',
      codecType: HttpConnectionManager_CodecType.AUTO,
      routeSpecifier: { case: 'routeConfig', value: routeConfig },
      httpFilters: [...(identities ? [rbacFilter(identities)] : []), routerFilter()],
    });
    return create(FilterSchema, {
      name: HCM_FILTER,
      configType: { case: 'typedConfig', value: pack(HttpConnectionManagerSchema, hcm) },
    });
  });
}

/** The one filter chain, shared by every pod with the same identity rule and mode. */
function filterChain(pod: PodServer, options: TranslateOptions): FilterChain {
  const strict = pod.mtls === 'STRICT';
  const providers = `${options.certificateProviderInstance}\n${options.caCertificateProviderInstance}`;
  const key = `${pod.identities?.join('\n') ?? '-'}\n${strict ? providers : 'plaintext'}`;
  return shared('pod-server-chain', key, () => {
    const tls = strict ? shared('pod-server-tls', providers, () => downstreamTls(options)) : undefined;
    return create(FilterChainSchema, {
      filters: [hcmFilter(pod.identities)],
      ...(tls ? { transportSocket: tls } : {}),
    });
  });
}

function serverListener(pod: PodServer, options: TranslateOptions): Listener {
  const listener = newListener(podServerListenerName(pod.address, pod.port));
  listener.address = create(AddressSchema, {
    address: {
      case: 'socketAddress',
      value: { address: pod.address, portSpecifier: { case: 'portValue', value: pod.port } },
    },
  });
  listener.trafficDirection = TrafficDirection.INBOUND;
  listener.filterChains = [filterChain(pod, options)];
  return listener;
}

/**
 * The resources xDS-managed pods read (the node group of pods, docs/XDS.md "Node roles"): one
 * server Listener per pod address, route configuration inline, nothing else. A pod whose rules
 * did not change gets the very same Listener object (kept in the caller's TranslationCache), so
 * it is not encoded again.
 */
export function translatePodServers(
  routes: readonly ModelRoute[],
  endpoints: EndpointTable,
  options: TranslateOptions,
  cache: TranslationCache = new TranslationCache(),
): ResourceSet {
  const providers = `${options.certificateProviderInstance} ${options.caCertificateProviderInstance}`;
  const listeners = interningIn(cache, () =>
    podServers(routes, endpoints).map((pod) =>
      shared(
        'pod-server-listener',
        // What the Listener is made of (not the models: they do not appear in it).
        `${pod.address}\n${pod.port}\n${pod.mtls}\n${pod.identities?.join(' ') ?? '-'}\n${providers}`,
        () => serverListener(pod, options),
      ),
    ),
  );
  return { listeners, routes: [], clusters: [], endpoints: [], secrets: [] };
}
