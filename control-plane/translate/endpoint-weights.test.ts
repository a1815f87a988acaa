// Endpoint weights take a different form per flavor: Envoy carries them on the endpoints, one
// locality per zone and no locality-weighted balancing; proxyless gRPC gets a locality per
// weighted endpoint, whose locality weight is that weight.
import { describe, expect, it } from 'vitest';
import { parsePolicyFile } from '../policy/index.js';
import { checkResources } from '../validate/index.js';
import { type EndpointInfo, translate, translateLoadAssignment } from './index.js';

const POLICY = `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: llm }
spec:
  model: llm
  lbPolicy: LEAST_REQUEST
  mtls: DISABLE
  versions: [{ name: v1 }]
`;

const PODS: EndpointInfo[] = [
  { address: '10.0.0.1', port: 8001, region: 'r', zone: 'a', health: 'HEALTHY', weight: 100, podId: 'pod-1' },
  { address: '10.0.0.2', port: 8001, region: 'r', zone: 'a', health: 'HEALTHY', weight: 25, podId: 'pod-2' },
  { address: '10.0.0.3', port: 8001, region: 'r', zone: 'b', health: 'HEALTHY', weight: 60, podId: 'pod-3' },
  { address: '10.0.0.4', port: 8001, region: 'r', zone: 'b', health: 'HEALTHY' },
];

function served(flavor: 'envoy' | 'grpc') {
  const routes = parsePolicyFile(POLICY, 'llm.yaml');
  const set = translate({ routes, endpoints: new Map([['llm/v1', PODS]]) }, flavor);
  expect(checkResources(set)).toEqual([]);
  return { set, cla: set.endpoints[0]!, cluster: set.clusters[0]!, routes };
}

function hostWeights(cla: ReturnType<typeof served>['cla']) {
  return cla.endpoints.map((l) => ({
    zone: l.locality!.zone,
    subZone: l.locality!.subZone,
    localityWeight: l.loadBalancingWeight,
    hosts: l.lbEndpoints.map((e) => {
      const ep = e.hostIdentifier.case === 'endpoint' ? e.hostIdentifier.value : undefined;
      const sa = ep?.address?.address.case === 'socketAddress' ? ep.address.address.value : undefined;
      return [sa?.address, e.loadBalancingWeight];
    }),
  }));
}

describe('endpoint weights per flavor', () => {
  it('Envoy: one locality per zone, the weight on each endpoint, no locality weight', () => {
    expect(hostWeights(served('envoy').cla)).toEqual([
      {
        zone: 'a',
        subZone: '',
        localityWeight: undefined,
        hosts: [
          ['10.0.0.1', 100],
          ['10.0.0.2', 25],
        ],
      },
      {
        zone: 'b',
        subZone: '',
        localityWeight: undefined,
        hosts: [
          ['10.0.0.3', 60],
          ['10.0.0.4', 1],
        ],
      },
    ]);
  });

  it('Envoy: the cluster has no locality-weighted balancing, and keeps panic mode off', () => {
    const { cluster } = served('envoy');
    expect(cluster.commonLbConfig!.localityConfigSpecifier.case).toBeUndefined();
    expect(cluster.commonLbConfig!.healthyPanicThreshold!.value).toBe(0);
  });

  it('gRPC: a locality per weighted endpoint, whose locality weight is its weight', () => {
    expect(hostWeights(served('grpc').cla)).toEqual([
      { zone: 'a', subZone: 'pod-1', localityWeight: 100, hosts: [['10.0.0.1', 100]] },
      { zone: 'a', subZone: 'pod-2', localityWeight: 25, hosts: [['10.0.0.2', 25]] },
      { zone: 'b', subZone: '', localityWeight: 1, hosts: [['10.0.0.4', 1]] },
      { zone: 'b', subZone: 'pod-3', localityWeight: 60, hosts: [['10.0.0.3', 60]] },
    ]);
  });

  it('builds one assignment per flavor and reuses each while the endpoints stay the same', () => {
    const { routes } = served('grpc');
    const table = new Map([['llm/v1', PODS]]);
    const envoy = translateLoadAssignment(routes[0]!, 'v1', table, 'envoy');
    const grpc = translateLoadAssignment(routes[0]!, 'v1', table, 'grpc');
    expect(envoy).not.toBe(grpc);
    expect(translateLoadAssignment(routes[0]!, 'v1', table, 'envoy')).toBe(envoy);
    expect(translateLoadAssignment(routes[0]!, 'v1', table, 'grpc')).toBe(grpc);
    expect(translate({ routes, endpoints: table }, 'envoy').endpoints[0]).toBe(envoy);
    expect(translate({ routes, endpoints: table }, 'grpc').endpoints[0]).toBe(grpc);
  });
});
