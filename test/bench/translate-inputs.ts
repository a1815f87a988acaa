// The translate benchmarks' inputs, one definition for all of them: model-<i> with three weighted
// versions, a header match and outlier detection, and per version ten endpoints as discovered
// pods advertise them (region, zone, GPU backend, and with `http` their KServe HTTP port too).
import { type ModelRoute, validatePolicy } from '../../control-plane/policy/index.js';
import type { EndpointInfo } from '../../control-plane/translate/index.js';
import type { Issue } from '../../kernel/errors/index.js';

/** The validated policy of model-<i>. */
export function benchRoute(i: number): ModelRoute {
  const issues: Issue[] = [];
  const route = validatePolicy(
    {
      apiVersion: 'switchyard.dev/v1alpha1',
      kind: 'ModelRoute',
      metadata: { name: `model-${i}` },
      spec: {
        model: `model-${i}`,
        versions: [
          { name: 'v1', weight: 80 },
          { name: 'v2', weight: 15 },
          { name: 'v3', weight: 5 },
        ],
        match: [{ headers: { 'x-cohort': 'beta' }, version: 'v2' }],
        outlierDetection: { failurePercentageThreshold: 50 },
      },
    },
    issues,
  );
  if (!route) throw new Error(`bench policy invalid: ${JSON.stringify(issues)}`);
  return route;
}

/** Endpoint `e` of version `v` of model `m`, on gRPC port `port + e` (HTTP: 1000 above it). */
export function benchEndpoint(m: number, v: number, e: number, port = 8001, http = false): EndpointInfo {
  return {
    address: `10.${v}.${Math.floor(m / 250)}.${m % 250}`,
    port: port + e,
    region: 'eu',
    zone: `z${e % 3}`,
    health: 'HEALTHY',
    backend: 'gpu',
    ...(http ? { httpPort: port + e + 1000 } : {}),
  };
}
