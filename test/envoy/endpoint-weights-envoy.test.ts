// Adaptive weights as Envoy applies the served Cluster and ClusterLoadAssignment. Envoy is not
// installable here, so the test follows Envoy's documented picking rules on the translated
// resources (https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/load_balancers
// and .../load_balancing/locality_weight; endpoint_components.proto, LbEndpoint.load_balancing_weight):
// - with common_lb_config.locality_weighted_lb_config, Envoy first picks a locality by its
//   locality weight (weighted round robin), then a host inside it; without it, every host of
//   the priority is one pool and the balancer weighs each by its load_balancing_weight;
// - weighted round robin and, when the weights differ, least request pick from an earliest
//   deadline first schedule; least request gives each host the effective weight
//   weight / (active_requests + 1)^active_request_bias (bias 1 by default).
// The proxyless gRPC form is followed by a real grpc-js-xds client in
// test/endpoints/adaptive.test.ts.
import { describe, expect, it } from 'vitest';
import { parsePolicyFile } from '../../control-plane/policy/index.js';
import { type EndpointInfo, translate } from '../../control-plane/translate/index.js';
import { type Cluster, Cluster_LbPolicy } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import type { ClusterLoadAssignment } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';

interface Host {
  readonly address: string;
  readonly weight: number;
}

/** Envoy's EDF schedule: each pick goes to the entry with the earliest deadline. */
function edfPick<T>(entries: readonly T[], weightOf: (t: T) => number, deadlines: number[]): T {
  let best = 0;
  for (let i = 0; i < entries.length; i++) {
    deadlines[i] ??= 1 / weightOf(entries[i]!);
    if (deadlines[i]! < deadlines[best]!) best = i;
  }
  deadlines[best] = deadlines[best]! + 1 / weightOf(entries[best]!);
  return entries[best]!;
}

function hostsOf(cla: ClusterLoadAssignment) {
  return cla.endpoints
    .filter((l) => (l.priority ?? 0) === 0)
    .map((l) => ({
      localityWeight: l.loadBalancingWeight ?? 0,
      hosts: l.lbEndpoints.map((e): Host => {
        const ep = e.hostIdentifier.case === 'endpoint' ? e.hostIdentifier.value : undefined;
        const sa = ep?.address?.address.case === 'socketAddress' ? ep.address.address.value : undefined;
        return { address: `${sa!.address}`, weight: e.loadBalancingWeight ?? 1 };
      }),
    }));
}

/**
 * Where Envoy sends `picks` short requests while `active` requests stay open on some hosts:
 * the share of the picks each host gets.
 */
function envoySplit(
  cluster: Cluster,
  cla: ClusterLoadAssignment,
  picks: number,
  active: Record<string, number> = {},
): Record<string, number> {
  const localities = hostsOf(cla);
  const leastRequest = cluster.lbPolicy === Cluster_LbPolicy.LEAST_REQUEST;
  const hostWeight = (h: Host) => (leastRequest ? h.weight / ((active[h.address] ?? 0) + 1) : h.weight);
  const byLocality = cluster.commonLbConfig?.localityConfigSpecifier.case === 'localityWeightedLbConfig';
  const pools = byLocality ? localities : [{ localityWeight: 1, hosts: localities.flatMap((l) => l.hosts) }];
  const poolDeadlines: number[] = [];
  const hostDeadlines = pools.map((): number[] => []);
  const counts: Record<string, number> = {};
  for (let i = 0; i < picks; i++) {
    const pool = edfPick(pools, (p) => p.localityWeight, poolDeadlines);
    const host = edfPick(pool.hosts, hostWeight, hostDeadlines[pools.indexOf(pool)]!);
    counts[host.address] = (counts[host.address] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).map(([a, n]) => [a, n / picks]));
}

function served(lbPolicy: string, pods: EndpointInfo[]) {
  const policy = `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: llm }
spec:
  model: llm
  lbPolicy: ${lbPolicy}
  mtls: DISABLE
  versions: [{ name: v1 }]
`;
  const set = translate(
    { routes: parsePolicyFile(policy, 'llm.yaml'), endpoints: new Map([['llm/v1', pods]]) },
    'envoy',
  );
  return { cluster: set.clusters[0]!, cla: set.endpoints[0]! };
}

// Weights as the tuner leaves them: two fast pods, a slow one, spread over two zones.
const PODS: EndpointInfo[] = [
  { address: '10.0.0.1', port: 8001, region: 'r', zone: 'a', health: 'HEALTHY', weight: 100, podId: 'p1' },
  { address: '10.0.0.2', port: 8001, region: 'r', zone: 'a', health: 'HEALTHY', weight: 25, podId: 'p2' },
  { address: '10.0.0.3', port: 8001, region: 'r', zone: 'b', health: 'HEALTHY', weight: 75, podId: 'p3' },
];
const TOTAL = 200;

describe('adaptive weights as Envoy balances the served resources', () => {
  it.each(['ROUND_ROBIN', 'LEAST_REQUEST'])('%s splits by the tuned weights across zones', (lb) => {
    const { cluster, cla } = served(lb, PODS);
    const split = envoySplit(cluster, cla, 20 * TOTAL);
    for (const p of PODS) expect(split[p.address], p.address).toBeCloseTo(p.weight! / TOTAL, 2);
  });

  it('LEAST_REQUEST steers new requests off a pod whose requests pile up, whatever its zone', () => {
    const { cluster, cla } = served('LEAST_REQUEST', PODS);
    // p3 alone in zone b holds 74 open requests: effective weight 75/75 against 100 and 25.
    const split = envoySplit(cluster, cla, 20 * TOTAL, { '10.0.0.3': 74 });
    expect(split['10.0.0.3']).toBeCloseTo(1 / 126, 2);
    expect(split['10.0.0.1']).toBeCloseTo(100 / 126, 2);
  });
});
