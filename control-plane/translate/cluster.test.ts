// Clusters built from shared sub-messages (outlier detection, circuit breakers) keep what is their
// own: models that differ only in their retries, and one cache used for both flavors.
import { describe, expect, it } from 'vitest';
import { policy } from '../../test/helpers/policy-yaml.js';
import { parsePolicyFile } from '../policy/index.js';
import { buildCircuitBreakers } from './circuit-breakers.js';
import { buildOutlierDetection } from './outlier.js';
import { TranslationCache } from './translation-cache.js';
import { translate } from './translator.js';
import type { Flavor } from './types.js';

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

  it('shares one outlier detection and one set of limits between models with equal policies', () => {
    const extra = `${LIMITS}\noutlierDetection: { consecutive5xx: 3, failurePercentageThreshold: 50 }`;
    for (const flavor of ['envoy', 'grpc'] as const) {
      const set = translate(
        { routes: [routeOf('a', extra), routeOf('b', extra)], endpoints: new Map() },
        flavor,
      );
      const [a, b] = ['a/v1', 'b/v1'].map((n) => set.clusters.find((c) => c.name === n)!);
      expect(a!.outlierDetection).toBeDefined();
      expect(b!.outlierDetection).toBe(a!.outlierDetection);
      expect(b!.circuitBreakers).toBe(a!.circuitBreakers);
    }
  });

  // Each variant differs from BASE in one field the builders read: sharing keyed on fewer fields
  // would hand the variant BASE's message.
  const OUTLIER_BASE = 'failurePercentageThreshold: 50';
  const OUTLIER_VARIANTS = [
    'consecutive5xx: 3',
    'consecutiveGatewayFailure: 4',
    'successRateStdevFactor: 1.9',
    'successRateMinimumHosts: 7',
    'successRateRequestVolume: 70',
    'failurePercentageMinimumHosts: 9',
    'failurePercentageRequestVolume: 90',
    'interval: 11s',
    'baseEjectionTime: 31s',
    'maxEjectionTime: 301s',
    'maxEjectionPercent: 11',
  ];
  // Pairs that differ in one field (a budget and maxRetries cannot be combined).
  const LIMITS_BASE = 'circuitBreakers: { maxConnections: 2, maxRequests: 2 }';
  const BUDGET = 'retries: { attempts: 2, on: [5xx], budget: { percent: 20, minConcurrency: 3 } }';
  const NO_BUDGET = 'retries: { attempts: 2, on: [5xx] }';
  const LIMIT_PAIRS = [
    [`${LIMITS_BASE}\n${BUDGET}`, `circuitBreakers: { maxConnections: 1, maxRequests: 2 }\n${BUDGET}`],
    [`${LIMITS_BASE}\n${BUDGET}`, `circuitBreakers: { maxConnections: 2, maxRequests: 1 }\n${BUDGET}`],
    [
      `${LIMITS_BASE}\n${BUDGET}`,
      `circuitBreakers: { maxConnections: 2, maxRequests: 2, maxPendingRequests: 1 }\n${BUDGET}`,
    ],
    [
      `${LIMITS_BASE}\n${NO_BUDGET}`,
      `circuitBreakers: { maxConnections: 2, maxRequests: 2, maxRetries: 1 }\n${NO_BUDGET}`,
    ],
    [`${LIMITS_BASE}\n${BUDGET}`, `${LIMITS_BASE}\n${BUDGET.replace('percent: 20', 'percent: 21')}`],
    [
      `${LIMITS_BASE}\n${BUDGET}`,
      `${LIMITS_BASE}\n${BUDGET.replace('minConcurrency: 3', 'minConcurrency: 4')}`,
    ],
    [`${LIMITS_BASE}\n${BUDGET}`, BUDGET],
  ] as const;

  it.each(['envoy', 'grpc'] as Flavor[])(
    'keeps a model its own outlier detection when one field differs (%s)',
    (flavor) => {
      const cache = new TranslationCache();
      const base = routeOf('base', `outlierDetection: { ${OUTLIER_BASE} }`);
      OUTLIER_VARIANTS.forEach((v, i) => {
        const route = routeOf(`v${i}`, `outlierDetection: { ${OUTLIER_BASE}, ${v} }`);
        const set = translate({ routes: [base, route], endpoints: new Map() }, flavor, {}, cache);
        for (const r of [base, route])
          expect(set.clusters.find((c) => c.name === `${r.spec.model}/v1`)!.outlierDetection, v).toEqual(
            buildOutlierDetection(r.spec.outlierDetection, flavor),
          );
      });
    },
  );

  it.each(['envoy', 'grpc'] as Flavor[])(
    'keeps a model its own limits when one field differs (%s)',
    (flavor) => {
      const cache = new TranslationCache();
      LIMIT_PAIRS.forEach(([one, other], i) => {
        const routes = [routeOf(`a${i}`, one), routeOf(`b${i}`, other)];
        const set = translate({ routes, endpoints: new Map() }, flavor, {}, cache);
        for (const r of routes)
          expect(set.clusters.find((c) => c.name === `${r.spec.model}/v1`)!.circuitBreakers, other).toEqual(
            buildCircuitBreakers(r.spec, flavor),
          );
      });
    },
  );
});
