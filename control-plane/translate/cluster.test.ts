// Clusters built from shared sub-messages (outlier detection, circuit breakers) keep what is their
// own: models that differ only in their retries, and one cache used for both flavors.
import { describe, expect, it } from 'vitest';
import { policy } from '../../test/helpers/policy-yaml.js';
import { parsePolicyFile } from '../policy/index.js';
import { TranslationCache } from './translation-cache.js';
import { translate } from './translator.js';

const routeOf = (model: string, extra: string) =>
  parsePolicyFile(
    policy(model, `mtls: DISABLE\nversions: [{ name: v1, weight: 100 }]\n${extra}`),
    `${model}.yaml`,
  )[0]!;

const LIMITS = 'circuitBreakers: { maxConnections: 10, maxRequests: 20 }';

describe('buildClusters with shared sub-messages', () => {
  it('gives a retry budget only to the model that retries, however equal their limits', () => {
    const retrying = routeOf('a', `${LIMITS}\nretries: { attempts: 2, on: [5xx], budget: { percent: 25 } }`);
    const not = routeOf('b', `${LIMITS}\nretries: { attempts: 0, budget: { percent: 25 } }`);
    const set = translate({ routes: [retrying, not], endpoints: new Map() }, 'envoy');
    const budget = (name: string) =>
      set.clusters.find((c) => c.name === name)!.circuitBreakers!.thresholds[0]!.retryBudget?.budgetPercent
        ?.value;
    expect(budget('a/v1')).toBe(25);
    expect(budget('b/v1')).toBeUndefined();
    expect(set.clusters.find((c) => c.name === 'b/v1')!.circuitBreakers!.thresholds[0]!.maxConnections).toBe(
      10,
    );
  });

  it('gives each retrying model its own retry budget, however equal their limits', () => {
    const retries = (percent: number) =>
      `retries: { attempts: 2, on: [5xx], budget: { percent: ${percent} } }`;
    const a = routeOf('a', `${LIMITS}\n${retries(25)}`);
    const b = routeOf('b', `${LIMITS}\n${retries(40)}`);
    const set = translate({ routes: [a, b], endpoints: new Map() }, 'envoy');
    const budget = (name: string) =>
      set.clusters.find((c) => c.name === name)!.circuitBreakers!.thresholds[0]!.retryBudget?.budgetPercent
        ?.value;
    expect(budget('a/v1')).toBe(25);
    expect(budget('b/v1')).toBe(40);
  });

  it('keeps each flavor its own outlier detection and limits when both use one cache', () => {
    const cache = new TranslationCache();
    const route = routeOf(
      'm',
      `${LIMITS}\noutlierDetection: { consecutive5xx: 3, failurePercentageThreshold: 50 }`,
    );
    const envoy = translate({ routes: [route], endpoints: new Map() }, 'envoy', {}, cache).clusters[0]!;
    const grpc = translate({ routes: [route], endpoints: new Map() }, 'grpc', {}, cache).clusters[0]!;
    expect(envoy.outlierDetection?.consecutive5xx).toBe(3);
    expect(grpc.outlierDetection?.consecutive5xx).toBeUndefined();
    expect(grpc.outlierDetection?.failurePercentageThreshold).toBe(50);
    expect(envoy.circuitBreakers!.thresholds[0]!.maxConnections).toBe(10);
    expect(grpc.circuitBreakers!.thresholds[0]!.maxConnections).toBeUndefined();
    expect(grpc.circuitBreakers!.thresholds[0]!.maxRequests).toBe(20);
  });
});
