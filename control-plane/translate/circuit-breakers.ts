// Circuit breakers and the retry budget (Envoy keeps the budget with the cluster's thresholds,
// not with the route). gRPC honours only max_requests, so its flavor carries only that.
import { create } from '@bufbuild/protobuf';
import {
  type CircuitBreakers as CircuitBreakersProto,
  CircuitBreakersSchema,
} from '../../protos/gen/envoy/config/cluster/v3/circuit_breaker_pb.js';
import { RoutingPriority } from '../../protos/gen/envoy/config/core/v3/base_pb.js';
import type { ModelRouteSpec } from '../policy/types.js';
import type { Flavor } from './types.js';

const opt = (n: number | undefined) => (n === undefined ? '' : String(n));

/**
 * What `buildCircuitBreakers` reads, spelled as a key for sharing its result (JSON.stringify
 * per model cost more than the lookup). Absent limits are spelled empty, an absent policy or
 * budget apart from any; keep this in step with the builder.
 */
export function breakersKey(spec: ModelRouteSpec, flavor: Flavor): string {
  const cb = spec.circuitBreakers;
  const budget = spec.retries.attempts > 0 ? spec.retries.budget : undefined;
  const limits = cb
    ? `${opt(cb.maxConnections)}\u0000${opt(cb.maxPendingRequests)}\u0000${opt(cb.maxRequests)}\u0000${opt(cb.maxRetries)}`
    : '\u0001';
  return `${flavor}\u0000${limits}\u0000${budget ? `${budget.percent}\u0000${budget.minConcurrency}` : '\u0001'}`;
}

export function buildCircuitBreakers(spec: ModelRouteSpec, flavor: Flavor): CircuitBreakersProto | undefined {
  const cb = spec.circuitBreakers;
  const budget = spec.retries.attempts > 0 ? spec.retries.budget : undefined;
  if (flavor === 'grpc') {
    if (cb?.maxRequests === undefined) return undefined;
    return create(CircuitBreakersSchema, {
      thresholds: [{ priority: RoutingPriority.DEFAULT, maxRequests: cb.maxRequests }],
    });
  }
  if (!cb && !budget) return undefined;
  return create(CircuitBreakersSchema, {
    thresholds: [
      {
        priority: RoutingPriority.DEFAULT,
        ...(cb?.maxConnections !== undefined ? { maxConnections: cb.maxConnections } : {}),
        ...(cb?.maxPendingRequests !== undefined ? { maxPendingRequests: cb.maxPendingRequests } : {}),
        ...(cb?.maxRequests !== undefined ? { maxRequests: cb.maxRequests } : {}),
        ...(cb?.maxRetries !== undefined ? { maxRetries: cb.maxRetries } : {}),
        ...(budget
          ? {
              retryBudget: {
                budgetPercent: { value: budget.percent },
                minRetryConcurrency: budget.minConcurrency,
              },
            }
          : {}),
      },
    ],
  });
}
