import { toBinary } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import {
  Cluster_DiscoveryType,
  Cluster_LbPolicy,
} from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { HealthStatus } from '../../protos/gen/envoy/config/core/v3/health_check_pb.js';
import { ClusterLoadAssignmentSchema } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { HttpConnectionManagerSchema } from '../../protos/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { parsePolicyFile } from '../policy/index.js';
import { XDS_REGISTRY } from '../resources/index.js';
import { type EndpointInfo, TranslationCache, translate, translateLoadAssignment } from './index.js';

const POLICY = `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: resnet }
spec:
  model: resnet
  versions:
    - name: v1
      weight: 90
      endpoints: [{ address: 127.0.0.1, port: 8001 }]
    - name: v2
      weight: 10
  match:
    - headers: { x-cohort: beta }
      version: v2
`;

const OTHER = POLICY.replaceAll('resnet', 'bert');

const v2: EndpointInfo[] = [
  { address: '10.0.0.3', port: 8001, region: 'r1', zone: 'b', health: 'HEALTHY' },
  { address: '10.0.0.2', port: 8001, region: 'r1', zone: 'a', health: 'UNHEALTHY', weight: 3 },
];

describe('translate (gRPC flavor)', () => {
  const routes = parsePolicyFile(POLICY, 'p.yaml');
  const set = translate({ routes, endpoints: new Map([['resnet/v2', v2]]) }, 'grpc');

  it('names the api_listener after the model, with an HttpConnectionManager over RDS/ADS', () => {
    expect(set.listeners.map((l) => l.name)).toEqual(['resnet']);
    const any = set.listeners[0]!.apiListener!.apiListener!;
    const hcm = anyUnpack(any, HttpConnectionManagerSchema)!;
    expect(hcm.routeSpecifier.case).toBe('rds');
    if (hcm.routeSpecifier.case !== 'rds') return;
    expect(hcm.routeSpecifier.value.routeConfigName).toBe('resnet');
    expect(hcm.routeSpecifier.value.configSource!.configSourceSpecifier.case).toBe('ads');
    expect(hcm.httpFilters.at(-1)!.name).toBe('envoy.filters.http.router');
  });

  it('routes the match rule to its version and splits the rest by weight', () => {
    const [vh] = set.routes[0]!.virtualHosts;
    expect(set.routes[0]!.name).toBe('resnet');
    const [pinned, split] = vh!.routes;
    expect(pinned!.match!.headers[0]!.name).toBe('x-cohort');
    const pinnedAction = pinned!.action.case === 'route' ? pinned!.action.value : undefined;
    expect(pinnedAction!.clusterSpecifier).toEqual({ case: 'cluster', value: 'resnet/v2' });
    const splitAction = split!.action.case === 'route' ? split!.action.value : undefined;
    expect(splitAction!.clusterSpecifier.case).toBe('weightedClusters');
    if (splitAction!.clusterSpecifier.case !== 'weightedClusters') return;
    const wc = splitAction!.clusterSpecifier.value;
    expect(wc.clusters.map((c) => [c.name, c.weight])).toEqual([
      ['resnet/v1', 90],
      ['resnet/v2', 10],
    ]);
    expect(wc.totalWeight).toBe(100);
  });

  it('makes one EDS cluster per version, fed over ADS, balanced ROUND_ROBIN', () => {
    expect(set.clusters.map((c) => c.name)).toEqual(['resnet/v1', 'resnet/v2']);
    for (const c of set.clusters) {
      expect(c.clusterDiscoveryType).toEqual({ case: 'type', value: Cluster_DiscoveryType.EDS });
      expect(c.edsClusterConfig!.edsConfig!.configSourceSpecifier.case).toBe('ads');
      expect(c.lbPolicy).toBe(Cluster_LbPolicy.ROUND_ROBIN);
    }
  });

  it('puts endpoints in weighted localities, sorted, with health carried through', () => {
    const [static1, discovered] = set.endpoints;
    expect(static1!.clusterName).toBe('resnet/v1');
    expect(static1!.endpoints[0]!.loadBalancingWeight).toBe(1);
    expect(static1!.endpoints[0]!.lbEndpoints[0]!.healthStatus).toBe(HealthStatus.HEALTHY);
    expect(discovered!.endpoints.map((l) => [l.locality!.zone, l.loadBalancingWeight])).toEqual([
      ['a', 3],
      ['b', 1],
    ]);
    expect(discovered!.endpoints[0]!.lbEndpoints[0]!.healthStatus).toBe(HealthStatus.UNHEALTHY);
  });
});

describe('translate determinism and memoization', () => {
  it('gives byte-identical output whatever the input order', () => {
    const a = parsePolicyFile(POLICY, 'a.yaml');
    const b = parsePolicyFile(OTHER, 'b.yaml');
    const one = translate({ routes: [...a, ...b], endpoints: new Map([['resnet/v2', v2]]) }, 'envoy');
    const two = translate(
      {
        routes: [...parsePolicyFile(OTHER, 'b.yaml'), ...parsePolicyFile(POLICY, 'a.yaml')],
        endpoints: new Map([['resnet/v2', [...v2].reverse()]]),
      },
      'envoy',
    );
    const bytes = (s: typeof one) =>
      s.endpoints.map((e) => Buffer.from(toBinary(ClusterLoadAssignmentSchema, e)).toString('hex'));
    expect(bytes(two)).toEqual(bytes(one));
    // Per model: its versions' gRPC clusters, then their REST clusters (Envoy only).
    expect(two.clusters.map((c) => c.name)).toEqual([
      'bert/v1',
      'bert/v2',
      'bert/v1/http',
      'bert/v2/http',
      'resnet/v1',
      'resnet/v2',
      'resnet/v1/http',
      'resnet/v2/http',
    ]);
  });

  it('reuses unchanged outputs and rebuilds only the version whose endpoints changed', () => {
    const routes = parsePolicyFile(POLICY, 'p.yaml');
    const table = new Map([['resnet/v2', v2]]);
    const first = translate({ routes, endpoints: table }, 'grpc');
    const moved = new Map([
      ['resnet/v2', [...v2, { address: '10.0.0.9', port: 8001, health: 'HEALTHY' as const }]],
    ]);
    const second = translate({ routes, endpoints: moved }, 'grpc');
    expect(second.clusters[0]).toBe(first.clusters[0]);
    expect(second.listeners[0]).toBe(first.listeners[0]);
    expect(second.endpoints[0]).toBe(first.endpoints[0]);
    expect(second.endpoints[1]).not.toBe(first.endpoints[1]);
    expect(translateLoadAssignment(routes[0]!, 'v2', moved, 'grpc')).toBe(second.endpoints[1]);
    expect(second.endpoints[1]!.endpoints.flatMap((l) => l.lbEndpoints)).toHaveLength(3);
  });

  it('packs Any payloads the shared registry can read back', () => {
    const set = translate({ routes: parsePolicyFile(POLICY, 'p.yaml'), endpoints: new Map() }, 'envoy');
    const filter = set.listeners[0]!.filterChains[0]!.filters[0]!;
    expect(filter.configType.case).toBe('typedConfig');
    if (filter.configType.case !== 'typedConfig') return;
    expect(anyUnpack(filter.configType.value, XDS_REGISTRY)?.$typeName).toBe(
      'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    );
  });
});

describe('Envoy gateway reuse', () => {
  it('keeps the gateway listener and route configuration when only endpoints change', () => {
    const routes = parsePolicyFile(POLICY, 'p.yaml');
    const cache = new TranslationCache();
    const first = translate({ routes, endpoints: new Map([['resnet/v2', v2]]) }, 'envoy', {}, cache);
    const second = translate(
      { routes, endpoints: new Map([['resnet/v2', v2.slice(1)]]) },
      'envoy',
      {},
      cache,
    );
    expect(second.routes[0]).toBe(first.routes[0]);
    expect(second.listeners[0]).toBe(first.listeners[0]);
    expect(second.endpoints[1]).not.toBe(first.endpoints[1]);
    const third = translate(
      { routes: [...routes, ...parsePolicyFile(OTHER, 'o.yaml')], endpoints: new Map() },
      'envoy',
      {},
      cache,
    );
    expect(third.routes[0]).not.toBe(first.routes[0]);
    expect(third.routes[0]!.virtualHosts.map((v) => v.name)).toEqual(['bert', 'resnet', 'all-models']);
  });
});

describe('translate: the caller-owned cache', () => {
  it("holds the gateway of the last call only: a removed model's parts are gone", () => {
    const cache = new TranslationCache();
    const doc = (model: string) =>
      parsePolicyFile(
        `apiVersion: switchyard.dev/v1alpha1\nkind: ModelRoute\nmetadata: { name: ${model}, namespace: default }\nspec: { model: ${model}, mtls: DISABLE, versions: [{ name: v1 }] }\n`,
        `${model}.yaml`,
      )[0]!;
    const [a, b] = [doc('a'), doc('b')];
    const two = translate({ routes: [a, b], endpoints: new Map() }, 'envoy', {}, cache);
    const parts = cache.gateway!.parts.length;
    const one = translate({ routes: [a], endpoints: new Map() }, 'envoy', {}, cache);
    expect(cache.gateway!.parts.length).toBeLessThan(parts);
    expect(one.routes).not.toContain(two.routes.at(-1));
    // Without a cache, nothing is shared between calls: no process-wide state.
    const x = translate({ routes: [a], endpoints: new Map() }, 'envoy');
    const y = translate({ routes: [a], endpoints: new Map() }, 'envoy');
    expect(x.routes.at(-1)).not.toBe(y.routes.at(-1));
    expect(x.routes.at(-1)).toEqual(y.routes.at(-1));
  });

  it("keeps shared sub-messages while used and forgets a removed model's at the next sweep", () => {
    const cache = new TranslationCache();
    const doc = (model: string, extra = '') =>
      parsePolicyFile(
        `apiVersion: switchyard.dev/v1alpha1\nkind: ModelRoute\nmetadata: { name: ${model}, namespace: default }\nspec: { model: ${model}, mtls: DISABLE, versions: [{ name: v1 }]${extra} }\n`,
        `${model}.yaml`,
      )[0]!;
    const [a, b, c] = [doc('a'), doc('b', ', timeout: 7s'), doc('c', ', timeout: 7s')];
    const both = translate({ routes: [a, b, c], endpoints: new Map() }, 'envoy', {}, cache);
    cache.sweep();
    expect(cache.has('duration', '7s')).toBe(true);
    // b and c share one Duration message.
    const timeouts = both.routes
      .at(-1)!
      .virtualHosts.flatMap((v) => v.routes)
      .map((r) => (r.action.case === 'route' ? r.action.value.timeout : undefined))
      .filter((t) => t?.seconds === 7n);
    expect(timeouts.length).toBeGreaterThan(1);
    expect(new Set(timeouts).size).toBe(1);
    translate({ routes: [a], endpoints: new Map() }, 'envoy', {}, cache);
    cache.sweep();
    expect(cache.has('duration', '7s')).toBe(false);
  });
});
