// What each policy retry condition means on each kind of route. Envoy reads HTTP conditions
// (`5xx`, `gateway-error`, `retriable-status-codes`, ...) from the response's :status and gRPC
// conditions (`unavailable`, `internal`, ...) only from its grpc-status
// (https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter,
// x-envoy-retry-on and x-envoy-retry-grpc-on). A REST route given `unavailable` would never
// retry a 503, and a gRPC route given `5xx` never sees a 5xx (gRPC errors travel as 200 +
// grpc-status), so each route gets its protocol's spelling of the policy; the model's own
// virtual host, which carries both protocols, gets both. Proxyless gRPC speaks gRPC status
// names only (gRFC A44).
import type { RetryOn } from '../policy/types.js';

/** How a request reaches the model: its own virtual host (either protocol), a REST path, or gRPC. */
export type EntryPoint = 'any' | 'rest' | 'grpc';

interface Spelling {
  readonly on: readonly string[];
  /** For `retriable-status-codes`. */
  readonly codes?: readonly number[];
}

/** On REST routes: HTTP conditions, gRPC status names as the HTTP statuses KServe v2 returns. */
const REST: Record<RetryOn, Spelling> = {
  '5xx': { on: ['5xx'] },
  'gateway-error': { on: ['gateway-error'] },
  reset: { on: ['reset'] },
  'connect-failure': { on: ['connect-failure'] },
  'refused-stream': { on: ['refused-stream'] },
  'retriable-4xx': { on: ['retriable-4xx'] },
  unavailable: { on: [], codes: [503] },
  internal: { on: [], codes: [500] },
  'resource-exhausted': { on: [], codes: [429] },
  'deadline-exceeded': { on: [], codes: [504] },
  // A cancelled call has no HTTP answer to retry on.
  cancelled: { on: [] },
};

/** On gRPC routes: transport conditions stay, HTTP status classes become gRPC status names. */
const GRPC: Record<RetryOn, Spelling> = {
  '5xx': { on: ['5xx', 'internal', 'unavailable'] },
  'gateway-error': { on: ['gateway-error', 'unavailable'] },
  reset: { on: ['reset'] },
  'connect-failure': { on: ['connect-failure'] },
  'refused-stream': { on: ['refused-stream'] },
  'retriable-4xx': { on: [] },
  unavailable: { on: ['unavailable'] },
  internal: { on: ['internal'] },
  'resource-exhausted': { on: ['resource-exhausted'] },
  'deadline-exceeded': { on: ['deadline-exceeded'] },
  cancelled: { on: ['cancelled'] },
};

/** Proxyless gRPC: gRPC status names only. */
const PROXYLESS: Record<RetryOn, readonly string[]> = {
  '5xx': ['internal', 'unavailable'],
  'gateway-error': ['unavailable'],
  reset: ['unavailable'],
  'connect-failure': ['unavailable'],
  'refused-stream': ['unavailable'],
  'retriable-4xx': [],
  unavailable: ['unavailable'],
  cancelled: ['cancelled'],
  'deadline-exceeded': ['deadline-exceeded'],
  internal: ['internal'],
  'resource-exhausted': ['resource-exhausted'],
};

const ORDER = [
  '5xx',
  'gateway-error',
  'reset',
  'connect-failure',
  'refused-stream',
  'retriable-4xx',
  'retriable-status-codes',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
];

export interface RetryConditions {
  /** Envoy's retry_on, comma-separated; empty when nothing applies. */
  readonly retryOn: string;
  readonly retriableStatusCodes: number[];
}

export function retryConditions(
  on: readonly RetryOn[],
  proxyless: boolean,
  entry: EntryPoint,
): RetryConditions {
  const tokens = new Set<string>();
  const codes = new Set<number>();
  const add = (s: Spelling) => {
    for (const t of s.on) tokens.add(t);
    for (const c of s.codes ?? []) codes.add(c);
  };
  for (const c of on) {
    if (proxyless) for (const t of PROXYLESS[c]) tokens.add(t);
    else if (entry === 'rest') add(REST[c]);
    else if (entry === 'grpc') add(GRPC[c]);
    else {
      add(REST[c]);
      add(GRPC[c]);
    }
  }
  if (codes.size > 0) tokens.add('retriable-status-codes');
  return {
    retryOn: ORDER.filter((t) => tokens.has(t)).join(','),
    retriableStatusCodes: [...codes].sort((a, b) => a - b),
  };
}
