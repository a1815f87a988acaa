// `proxylessBalancing: { mode: least-load }`: the gRPC flavor's clusters list Switchyard's
// least-load policy first (a TypedStruct naming it), then the `orca` mode's fallbacks; the
// endpoints share their zone's locality; Envoy's output does not change.
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { LEAST_LOAD_POLICY, LEAST_LOAD_TYPE_URL } from '../../kernel/grpc/least-load/name.js';
import { ClientSideWeightedRoundRobinSchema } from '../../protos/gen/envoy/extensions/load_balancing_policies/client_side_weighted_round_robin/v3/client_side_weighted_round_robin_pb.js';
import { TypedStructSchema } from '../../protos/gen/xds/type/v3/typed_struct_pb.js';
import { parsePolicyFile } from '../policy/index.js';
import { checkResources } from '../validate/index.js';
import { type EndpointInfo, translate } from './index.js';

const policy = (name: string, extra: string) => `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: ${name} }
spec:
  model: ${name}
  mtls: DISABLE
  versions: [{ name: v1 }]
${extra}`;

const PODS: EndpointInfo[] = [
  { address: '10.0.0.1', port: 8001, region: 'r', zone: 'a', health: 'HEALTHY', weight: 100, podId: 'pod-1' },
  { address: '10.0.0.2', port: 8001, region: 'r', zone: 'a', health: 'HEALTHY', weight: 25, podId: 'pod-2' },
];

function served(docs: string, flavor: 'envoy' | 'grpc', models = ['llm']) {
  const routes = parsePolicyFile(docs, 'routes.yaml');
  const set = translate({ routes, endpoints: new Map(models.map((m) => [`${m}/v1`, PODS])) }, flavor);
  expect(checkResources(set)).toEqual([]);
  return set;
}

const typeUrls = (set: ReturnType<typeof served>, i: number) =>
  set.clusters[i]!.loadBalancingPolicy!.policies.map((p) => p.typedExtensionConfig!.typedConfig!.typeUrl);

describe('proxyless balancing by least load', () => {
  it('gRPC: the least-load TypedStruct first, then weighted round robin with the knobs, then round robin', () => {
    const set = served(
      policy('llm', '  proxylessBalancing: { mode: least-load, blackoutPeriod: 3s }\n'),
      'grpc',
    );
    expect(typeUrls(set, 0)).toEqual([
      'type.googleapis.com/xds.type.v3.TypedStruct',
      'type.googleapis.com/envoy.extensions.load_balancing_policies.client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin',
      'type.googleapis.com/envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin',
    ]);
    const [first, wrr] = set.clusters[0]!.loadBalancingPolicy!.policies.map((p) => p.typedExtensionConfig!);
    expect(first!.name).toBe(LEAST_LOAD_POLICY);
    const ts = anyUnpack(first!.typedConfig!, TypedStructSchema)!;
    // grpc-js-xds looks the policy up by the type URL's last segment.
    expect(ts.typeUrl).toBe(LEAST_LOAD_TYPE_URL);
    expect(ts.typeUrl.slice(ts.typeUrl.lastIndexOf('/') + 1)).toBe(LEAST_LOAD_POLICY);
    expect(ts.value).toEqual({});
    expect(anyUnpack(wrr!.typedConfig!, ClientSideWeightedRoundRobinSchema)!.blackoutPeriod?.seconds).toBe(
      3n,
    );
    // As under orca: one locality per zone, no tuned weights.
    expect(set.endpoints[0]!.endpoints.map((l) => [l.locality!.subZone, l.lbEndpoints.length])).toEqual([
      ['', 2],
    ]);
  });

  it('keeps orca and least-load routes apart when one translation holds both', () => {
    const docs = [
      policy('a', '  proxylessBalancing: { mode: least-load }\n'),
      policy('b', '  proxylessBalancing: { mode: orca }\n'),
    ].join('---\n');
    const set = served(docs, 'grpc', ['a', 'b']);
    expect(set.clusters.map((c) => c.loadBalancingPolicy!.policies.length)).toEqual([3, 2]);
    expect(typeUrls(set, 1)[0]).toContain('ClientSideWeightedRoundRobin');
  });

  it('Envoy keeps its tuned endpoint weights: the same output with or without least-load', () => {
    const a = served(policy('llm', '  proxylessBalancing: { mode: least-load }\n'), 'envoy');
    const b = served(policy('llm', ''), 'envoy');
    expect(a.clusters[0]!.loadBalancingPolicy).toBeUndefined();
    expect(a.endpoints).toEqual(b.endpoints);
  });

  it('refuses least-load with RING_HASH and names the field', () => {
    expect(() =>
      parsePolicyFile(
        policy('llm', '  lbPolicy: RING_HASH\n  proxylessBalancing: { mode: least-load }\n'),
        'x.yaml',
      ),
    ).toThrow(/spec\.proxylessBalancing\.mode: least-load balances by load/);
  });
});
