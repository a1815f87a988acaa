// The ModelRoute document after parsing and validation: every default filled in, so the
// translator never guesses. Field names follow the YAML an operator writes (the ModelRoute
// shape); docs/TRANSLATION.md is the reference for each field and its default.

import type { AccessSpec } from './access.js';
import type { Device, Replicas } from './registry-ref.js';
import type { RolloutSpec } from './rollout.js';

export const API_VERSION = 'switchyard.dev/v1alpha1';
export const KIND = 'ModelRoute';

export type MtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';
export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RING_HASH' | 'RANDOM';
/** `any`: every endpoint at priority 0; `gpu-overflow-cpu`: GPU at priority 0, CPU at 1. */
export type BackendPreference = 'any' | 'gpu' | 'cpu' | 'gpu-overflow-cpu';
export type Backend = 'gpu' | 'cpu';

/** Conditions a request retries on. Envoy names; the gRPC flavor maps them to status codes. */
export const RETRY_ON = [
  '5xx',
  'gateway-error',
  'reset',
  'connect-failure',
  'refused-stream',
  'retriable-4xx',
  'unavailable',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
] as const;
export type RetryOn = (typeof RETRY_ON)[number];

/** Exactly one key is set. A bare string in YAML means `exact`. */
export type HeaderMatch =
  | { readonly exact: string }
  | { readonly prefix: string }
  | { readonly regex: string }
  | { readonly present: boolean };

export interface MatchRule {
  /** Header name (lower case) to condition; all must hold. */
  readonly headers: Readonly<Record<string, HeaderMatch>>;
  /** The version a matching request is pinned to. */
  readonly version: string;
}

export interface StaticEndpoint {
  readonly address: string;
  readonly port: number;
  /** The pod's KServe v2 HTTP port; without it the endpoint takes no REST traffic. */
  readonly httpPort?: number;
  readonly region?: string;
  readonly zone?: string;
  readonly weight?: number;
  readonly backend?: Backend;
}

export interface VersionSpec {
  readonly name: string;
  readonly weight: number;
  /** Static endpoints; when present they replace discovered ones for this version. */
  readonly endpoints?: readonly StaticEndpoint[];
  /** A registry version the placer loads onto managed pods (docs/PLACEMENT.md); no endpoints then. */
  readonly model?: { readonly registry: string };
  /** Set (min default 1, max default min) exactly when `model` is. */
  readonly replicas?: Replicas;
  readonly device?: Device;
}

export interface RetryBudget {
  /** Share of active requests that may be retries, 0..100. */
  readonly percent: number;
  readonly minConcurrency: number;
}

export interface RetryPolicy {
  /** Retries after the first attempt; 0 disables retries. */
  readonly attempts: number;
  readonly on: readonly RetryOn[];
  readonly perTryTimeout?: string;
  readonly backoff?: { readonly baseInterval: string; readonly maxInterval?: string };
  readonly budget?: RetryBudget;
}

export interface OutlierDetection {
  readonly consecutive5xx?: number;
  readonly consecutiveGatewayFailure?: number;
  /** Success-rate ejection: eject hosts below mean - stdevFactor * stdev (e.g. 1.9). */
  readonly successRateStdevFactor?: number;
  readonly successRateMinimumHosts: number;
  readonly successRateRequestVolume: number;
  /** Failure-percentage ejection: eject hosts whose failure share is at least this, 0..100. */
  readonly failurePercentageThreshold?: number;
  readonly failurePercentageMinimumHosts: number;
  readonly failurePercentageRequestVolume: number;
  readonly interval: string;
  readonly baseEjectionTime: string;
  readonly maxEjectionTime: string;
  readonly maxEjectionPercent: number;
}

export interface CircuitBreakers {
  readonly maxConnections?: number;
  readonly maxRequests?: number;
  readonly maxPendingRequests?: number;
  readonly maxRetries?: number;
}

/**
 * `weights`: the control plane's tuned weights in EDS (as for Envoy). `orca`: the clients'
 * own client_side_weighted_round_robin over the pods' out-of-band ORCA load reports, with its
 * knobs. `least-load`: Switchyard's per-call least-load policy for clients that registered it,
 * else as `orca`.
 */
export interface ProxylessBalancing {
  readonly mode: 'weights' | 'orca' | 'least-load';
  readonly reportPeriod: string;
  readonly blackoutPeriod: string;
  readonly weightExpiration: string;
  readonly weightUpdatePeriod: string;
  readonly errorUtilizationPenalty: number;
}

export interface ModelRouteSpec {
  readonly model: string;
  readonly versions: readonly VersionSpec[];
  readonly match: readonly MatchRule[];
  readonly sticky?: { readonly header: string };
  readonly mirror?: { readonly version: string; readonly percent: number };
  readonly timeout: string;
  readonly retries: RetryPolicy;
  readonly outlierDetection?: OutlierDetection;
  readonly circuitBreakers?: CircuitBreakers;
  readonly lbPolicy: LbPolicy;
  /** How proxyless gRPC clients weigh endpoints (docs/ENDPOINTS.md, "Load reports (ORCA)"). */
  readonly proxylessBalancing?: ProxylessBalancing;
  readonly http2: boolean;
  readonly mtls: MtlsMode;
  readonly residency?: { readonly regions: readonly string[] };
  readonly backendPreference: BackendPreference;
  /**
   * p99 the model should answer within, e.g. `50ms`. The auto-tuner takes weight from
   * endpoints above it; without it, a version's endpoints are compared with each other.
   */
  readonly latencyObjective?: string;
  /** A canary driven step by step by the rollout controller (docs/ROLLOUTS.md). */
  readonly rollout?: RolloutSpec;
  /** Who may call the model and how often, enforced at the gateway and the pods (docs/ACCESS.md). */
  readonly access?: AccessSpec;
}

export interface ModelRoute {
  readonly apiVersion: typeof API_VERSION;
  readonly kind: typeof KIND;
  readonly metadata: { readonly name: string; readonly namespace: string };
  readonly spec: ModelRouteSpec;
}
