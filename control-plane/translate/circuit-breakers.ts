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
