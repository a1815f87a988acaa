// The translate benchmarks' inputs, one definition for all of them: model-<i> with three weighted
// versions, a header match and outlier detection, and per version ten endpoints as discovered
// pods advertise them (region, zone, GPU backend, and with `http` their KServe HTTP port too).
import { type ModelRoute, validatePolicy } from '../../control-plane/policy/index.js';
import { type EndpointInfo, endpointKey } from '../../control-plane/translate/index.js';
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

/** The endpoint table of models 0..models-1: 3 versions of 10 endpoints each, fresh objects. */
export function benchTable(models: number, http = true, port = 8001): Map<string, readonly EndpointInfo[]> {
  const table = new Map<string, readonly EndpointInfo[]>();
  for (let m = 0; m < models; m++)
    for (let v = 0; v < 3; v++)
      table.set(
        endpointKey(`model-${m}`, `v${v + 1}`),
        Array.from({ length: 10 }, (_, e) => benchEndpoint(m, v, e, port, http)),
      );
  return table;
}
