// Outlier ejection as Envoy applies the served cluster, for model pools of 2 to 9 pods with one
// failing. Envoy is not installable here, so the test follows Envoy's documented rules on the
// translated Cluster (envoy-api config/cluster/v3/outlier_detection.proto and cluster.proto as
// pinned by grpc-js-xds; https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/outlier
// and .../load_balancing/panic_threshold):
// - failure-percentage ejection runs only with at least failure_percentage_minimum_hosts hosts
//   (default 5) that reached the request volume;
// - since 1.28 an ejection is refused when it would put more than max_ejection_percent (default
//   10) of the hosts out, unless always_eject_one_host is set and none is out yet;
// - below healthy_panic_threshold percent healthy hosts (default 50) Envoy balances over all
//   hosts, ejected ones included.
// The same pools eject through a real grpc-js-xds client in test/translate-e2e/resilience.test.ts.
import { describe, expect, it } from 'vitest';
import { parsePolicyFile } from '../../control-plane/policy/index.js';
import { translate } from '../../control-plane/translate/index.js';
import type { Cluster } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { policy } from '../helpers/policy-yaml.js';

const POLICY = policy(
  'llm',
  'versions: [{ name: v1 }]\noutlierDetection: { failurePercentageThreshold: 50 }',
);

function servedCluster(): Cluster {
  const routes = parsePolicyFile(POLICY, 'llm.yaml');
  return translate({ routes, endpoints: new Map() }, 'envoy').clusters.find((c) => c.name === 'llm/v1')!;
}

/** Whether Envoy ejects the one failing host of `pool`, and whether traffic then avoids it. */
function envoyOutcome(c: Cluster, pool: number): { ejected: boolean; panic: boolean } {
  const od = c.outlierDetection!;
  const minimumHosts = od.failurePercentageMinimumHosts ?? 5;
  const enforcing = od.enforcingFailurePercentage ?? 0;
  const maxPercent = od.maxEjectionPercent ?? 10;
  const detectorRuns = pool >= minimumHosts && enforcing === 100;
  const admitted = (100 * 1) / pool <= maxPercent || od.alwaysEjectOneHost === true;
  const ejected = detectorRuns && admitted;
  const panicThreshold = c.commonLbConfig?.healthyPanicThreshold?.value ?? 50;
  const healthyPercent = (100 * (pool - (ejected ? 1 : 0))) / pool;
  return { ejected, panic: healthyPercent < panicThreshold };
}

describe('outlier ejection in Envoy at model-pool sizes', () => {
  const c = servedCluster();

  it.each([2, 3, 4, 5, 6, 7, 8, 9])('ejects the one failing pod of %i and keeps traffic off it', (pool) => {
    expect(envoyOutcome(c, pool)).toEqual({ ejected: true, panic: false });
  });

  it('never falls back to panic mode, even with most pods out', () => {
    expect(c.commonLbConfig!.healthyPanicThreshold!.value).toBe(0);
  });
});
