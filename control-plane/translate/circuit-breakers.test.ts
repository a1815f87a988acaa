// Circuit breakers and the retry budget per flavor, for the cases the goldens do not hold: gRPC
// limits without max_requests, a budget on a route that does not retry, and a budget alone.
import { describe, expect, it } from 'vitest';
import { policy } from '../../test/helpers/policy-yaml.js';
import { parsePolicyFile } from '../policy/index.js';
import { buildCircuitBreakers } from './circuit-breakers.js';

const specOf = (extra: string) =>
  parsePolicyFile(policy('m', `versions: [{ name: v1, weight: 100 }]\n${extra}`), 'm.yaml')[0]!.spec;

const BUDGET = 'retries: { attempts: 2, on: [5xx], budget: { percent: 25, minConcurrency: 5 } }';

describe('buildCircuitBreakers', () => {
  it('gives gRPC only max_requests, and nothing when the policy sets no such limit', () => {
    expect(buildCircuitBreakers(specOf('circuitBreakers: { maxConnections: 10 }'), 'grpc')).toBeUndefined();
    expect(buildCircuitBreakers(specOf(BUDGET), 'grpc')).toBeUndefined();
    const t = buildCircuitBreakers(
      specOf('circuitBreakers: { maxRequests: 7, maxRetries: 2 }'),
      'grpc',
    )!.thresholds;
    expect(t.map((x) => [x.maxRequests, x.maxRetries, x.retryBudget])).toEqual([[7, undefined, undefined]]);
  });

  it('gives Envoy every limit the policy sets, and only those', () => {
    const all = buildCircuitBreakers(
      specOf(
        'circuitBreakers: { maxConnections: 100, maxPendingRequests: 50, maxRequests: 200, maxRetries: 3 }',
      ),
      'envoy',
    )!.thresholds;
    const limits = (t: typeof all) =>
      t.map((x) => [
        x.priority,
        x.maxConnections,
        x.maxPendingRequests,
        x.maxRequests,
        x.maxRetries,
        x.retryBudget,
      ]);
    expect(limits(all)).toEqual([[0, 100, 50, 200, 3, undefined]]);
    const one = buildCircuitBreakers(
      specOf('circuitBreakers: { maxPendingRequests: 5 }'),
      'envoy',
    )!.thresholds;
    expect(limits(one)).toEqual([[0, undefined, 5, undefined, undefined, undefined]]);
  });

  it('gives Envoy a retry budget only while the route retries', () => {
    const budget = buildCircuitBreakers(specOf(BUDGET), 'envoy')!.thresholds[0]!;
    expect(budget.retryBudget?.budgetPercent?.value).toBe(25);
    expect(budget.retryBudget?.minRetryConcurrency).toBe(5);
    expect(budget.maxRequests).toBeUndefined();
    const off = specOf('retries: { attempts: 0, budget: { percent: 25, minConcurrency: 5 } }');
    expect(buildCircuitBreakers(off, 'envoy')).toBeUndefined();
    const limitsOnly = buildCircuitBreakers(
      specOf(
        'retries: { attempts: 0, budget: { percent: 25, minConcurrency: 5 } }\ncircuitBreakers: { maxRequests: 9 }',
      ),
      'envoy',
    )!.thresholds[0]!;
    expect(limitsOnly.maxRequests).toBe(9);
    expect(limitsOnly.retryBudget).toBeUndefined();
  });
});
