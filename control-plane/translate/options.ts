// Knobs of the translation that are not part of any policy: where the gateway listens, which
// names the TLS material goes by. Defaults match envoy/*.yaml and docs/TRANSLATION.md.

/**
 * How the Envoy gateway's catch-all virtual host finds a model's routes: a route list Envoy scans
 * in order, a matcher tree of map lookups, or (`auto`) the tree once the list is long
 * (route-matcher.ts, docs/TRANSLATION.md "Route lookup at 10,000 models").
 */
export type GatewayRouteMatcher = 'auto' | 'tree' | 'list';

export const GATEWAY_ROUTE_MATCHERS: readonly GatewayRouteMatcher[] = ['auto', 'tree', 'list'];

export interface TranslateOptions {
  /** Port of the Envoy gateway listener. */
  readonly gatewayPort: number;
  readonly gatewayAddress: string;
  /** SPIFFE trust domain of the pods' identities (SAN checks on upstream TLS). */
  readonly trustDomain: string;
  /** gRPC flavor: certificate provider instance names from the client's bootstrap. */
  readonly certificateProviderInstance: string;
  readonly caCertificateProviderInstance: string;
  /** Envoy flavor: SDS secret names for the proxy's identity and the trust bundle. */
  readonly identitySecretName: string;
  readonly trustBundleSecretName: string;
  /** Envoy flavor: where the gateway writes its access log. */
  readonly accessLogPath: string;
  /**
   * Envoy flavor: the gateway listener requires clients to present a workload certificate
   * (DownstreamTlsContext over the same SDS secrets as the clusters).
   */
  readonly gatewayMtls: boolean;
  /** With gatewayMtls: the SPIFFE IDs allowed to call the gateway (exact); empty: any of the trust bundle. */
  readonly gatewayClientIdentities: readonly string[];
  /** Envoy flavor: route list or matcher tree on the gateway's catch-all virtual host. */
  readonly gatewayRouteMatcher: GatewayRouteMatcher;
  /**
   * Envoy flavor: the static bootstrap cluster of the Switchyard authorization service (ext_authz
   * over gRPC; Envoy accepts only a static cluster there). docs/ACCESS.md, "At the Envoy gateway".
   */
  readonly authzCluster: string;
  /** Let requests through when the authorization service cannot answer (default: refuse, 503). */
  readonly authzFailOpen: boolean;
  /** How long the gateway waits for the authorization service's answer. */
  readonly authzTimeout: string;
  /** Envoy flavor: the CA bundle that verifies https:// JWKS hosts. */
  readonly jwksCaFile: string;
  /** Envoy flavor: trace requests with the OpenTelemetry tracer (docs/ACCESS.md, "Tracing"). */
  readonly gatewayTracing: boolean;
  /** With gatewayTracing: the static bootstrap cluster of the OTLP/gRPC collector. */
  readonly tracingCluster: string;
  /** With gatewayTracing: the share of requests that start a sampled trace, 0..100. */
  readonly tracingSamplePercent: number;
}

export const DEFAULT_TRANSLATE_OPTIONS: TranslateOptions = {
  gatewayPort: 10000,
  gatewayAddress: '0.0.0.0',
  trustDomain: 'switchyard.local',
  certificateProviderInstance: 'default',
  caCertificateProviderInstance: 'default',
  identitySecretName: 'switchyard/identity',
  trustBundleSecretName: 'switchyard/trust-bundle',
  accessLogPath: '/dev/stdout',
  gatewayMtls: false,
  gatewayClientIdentities: [],
  gatewayRouteMatcher: 'auto',
  authzCluster: 'switchyard-authz',
  authzFailOpen: false,
  authzTimeout: '0.25s',
  jwksCaFile: '/etc/ssl/certs/ca-certificates.crt',
  gatewayTracing: false,
  tracingCluster: 'switchyard-otel-collector',
  tracingSamplePercent: 100,
};

export function resolveOptions(partial?: Partial<TranslateOptions>): TranslateOptions {
  return partial ? { ...DEFAULT_TRANSLATE_OPTIONS, ...partial } : DEFAULT_TRANSLATE_OPTIONS;
}

/** The SPIFFE identity pods serving a model present (see kernel/tls/spiffe.ts). */
export function podIdentity(options: TranslateOptions, namespace: string, model: string): string {
  return `spiffe://${options.trustDomain}/ns/${namespace}/sa/${model}`;
}
