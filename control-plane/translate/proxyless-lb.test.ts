// `proxylessBalancing: { mode: orca }`: the gRPC flavor's clusters carry
// client_side_weighted_round_robin then round_robin as load_balancing_policy, with the route's
// knobs, and its endpoints share their zone's locality; Envoy's output does not change.
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { ClientSideWeightedRoundRobinSchema } from '../../protos/gen/envoy/extensions/load_balancing_policies/client_side_weighted_round_robin/v3/client_side_weighted_round_robin_pb.js';
import { parsePolicyFile } from '../policy/index.js';
import { checkResources } from '../validate/index.js';
import { type EndpointInfo, translate } from './index.js';

const policy = (extra: string) => `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: llm }
spec:
  model: llm
  mtls: DISABLE
  versions: [{ name: v1 }]
${extra}`;

const PODS: EndpointInfo[] = [
  { address: '10.0.0.1', port: 8001, region: 'r', zone: 'a', health: 'HEALTHY', weight: 100, podId: 'pod-1' },
  { address: '10.0.0.2', port: 8001, region: 'r', zone: 'a', health: 'HEALTHY', weight: 25, podId: 'pod-2' },
  { address: '10.0.0.3', port: 8001, region: 'r', zone: 'b', health: 'HEALTHY', weight: 60, podId: 'pod-3' },
];

function served(extra: string, flavor: 'envoy' | 'grpc') {
  const routes = parsePolicyFile(policy(extra), 'llm.yaml');
  const set = translate({ routes, endpoints: new Map([['llm/v1', PODS]]) }, flavor);
  expect(checkResources(set)).toEqual([]);
  return set;
}

describe('proxyless balancing by ORCA load reports', () => {
  it('gRPC: client_side_weighted_round_robin with the knobs, then round_robin; one locality per zone, no tuned weights', () => {
    const set = served(
      '  proxylessBalancing: { mode: orca, blackoutPeriod: 3s, weightExpiration: 1m, errorUtilizationPenalty: 0.5 }\n',
      'grpc',
    );
    const policies = set.clusters[0]!.loadBalancingPolicy!.policies.map((p) => p.typedExtensionConfig!);
    expect(policies.map((p) => p.typedConfig!.typeUrl)).toEqual([
      'type.googleapis.com/envoy.extensions.load_balancing_policies.client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin',
      'type.googleapis.com/envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin',
    ]);
    const wrr = anyUnpack(policies[0]!.typedConfig!, ClientSideWeightedRoundRobinSchema)!;
    expect(wrr.enableOobLoadReport).toBe(true);
    expect(wrr.oobReportingPeriod?.nanos).toBe(250_000_000);
    expect(wrr.blackoutPeriod?.seconds).toBe(3n);
    expect(wrr.weightExpirationPeriod?.seconds).toBe(60n);
    expect(wrr.weightUpdatePeriod?.nanos).toBe(250_000_000);
    expect(wrr.errorUtilizationPenalty).toBe(0.5);
    // No tuned weights: they change every tuning pass, and each EDS change restarts the blackout.
    expect(
      set.endpoints[0]!.endpoints.map((l) => [
        l.locality!.zone,
        l.locality!.subZone,
        l.loadBalancingWeight,
        l.lbEndpoints.map((e) => e.loadBalancingWeight),
      ]),
    ).toEqual([
      ['a', '', 2, [1, 1]],
      ['b', '', 1, [1]],
    ]);
  });

  it('gives each route its own knobs when several share one translation', () => {
    const knobs = [
      '',
      'reportPeriod: 2s',
      'blackoutPeriod: 2s',
      'weightExpiration: 2m',
      'weightUpdatePeriod: 2s',
      'errorUtilizationPenalty: 2',
    ];
    const routes = knobs.flatMap((k, i) =>
      parsePolicyFile(
        policy(`  proxylessBalancing: { mode: orca${k ? `, ${k}` : ''} }\n`).replaceAll('llm', `m${i}`),
        `m${i}.yaml`,
      ),
    );
    const set = translate({ routes, endpoints: new Map() }, 'grpc');
    const seen = set.clusters.map((c) => {
      const w = anyUnpack(
        c.loadBalancingPolicy!.policies[0]!.typedExtensionConfig!.typedConfig!,
        ClientSideWeightedRoundRobinSchema,
      )!;
      const s = (d: typeof w.blackoutPeriod) => Number(d!.seconds) + d!.nanos / 1e9;
      return [
        c.name,
        s(w.oobReportingPeriod),
        s(w.blackoutPeriod),
        s(w.weightExpirationPeriod),
        s(w.weightUpdatePeriod),
        w.errorUtilizationPenalty,
      ];
    });
    expect(seen).toEqual([
      ['m0/v1', 0.25, 1, 180, 0.25, 1],
      ['m1/v1', 2, 1, 180, 0.25, 1],
      ['m2/v1', 0.25, 2, 180, 0.25, 1],
      ['m3/v1', 0.25, 1, 120, 0.25, 1],
      ['m4/v1', 0.25, 1, 180, 2, 1],
      ['m5/v1', 0.25, 1, 180, 0.25, 2],
    ]);
  });

  it('the default is the tuned weights: no load_balancing_policy, a locality per weighted pod', () => {
    for (const extra of ['', '  proxylessBalancing: { mode: weights }\n']) {
      const set = served(extra, 'grpc');
      expect(set.clusters[0]!.loadBalancingPolicy).toBeUndefined();
      expect(set.endpoints[0]!.endpoints.map((l) => l.locality!.subZone)).toEqual([
        'pod-1',
        'pod-2',
        'pod-3',
      ]);
    }
  });

  it('Envoy keeps its tuned endpoint weights: the same output with or without orca', () => {
    const a = served('  proxylessBalancing: { mode: orca }\n', 'envoy');
    const b = served('', 'envoy');
    expect(a.clusters[0]!.loadBalancingPolicy).toBeUndefined();
    expect(a.endpoints).toEqual(b.endpoints);
  });

  it('refuses orca with RING_HASH (a hash cannot follow load) and names the field', () => {
    expect(() =>
      parsePolicyFile(policy('  lbPolicy: RING_HASH\n  proxylessBalancing: { mode: orca }\n'), 'llm.yaml'),
    ).toThrow(/spec\.proxylessBalancing\.mode/);
    expect(() => parsePolicyFile(policy('  proxylessBalancing: { mode: fastest }\n'), 'llm.yaml')).toThrow(
      /spec\.proxylessBalancing\.mode/,
    );
  });
});
