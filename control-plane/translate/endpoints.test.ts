// One ClusterLoadAssignment, built directly (endpoints.ts): residency, backend preference and
// priorities, the output order, localities per flavor, TLS metadata and health; and where a
// version's endpoints come from.
import { isMessage } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { MetadataSchema } from '../../protos/gen/envoy/config/core/v3/base_pb.js';
import { HealthStatus } from '../../protos/gen/envoy/config/core/v3/health_check_pb.js';
import type { ClusterLoadAssignment } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { policy } from '../../test/helpers/policy-yaml.js';
import { parsePolicyFile } from '../policy/index.js';
import {
  buildLoadAssignment,
  NO_ENDPOINTS,
  TLS_MATCH_FILTER,
  takesTraffic,
  versionEndpoints,
  versionEndpointsSource,
} from './endpoints.js';
import type { EndpointInfo } from './types.js';

const route = (spec = '') => parsePolicyFile(policy('m', `versions: [{ name: v1 }]\n${spec}`), 'm.yaml')[0]!;

const ep = (address: string, more: Partial<EndpointInfo> = {}): EndpointInfo => ({
  address,
  port: 8001,
  health: 'HEALTHY',
  ...more,
});

/** Each locality as `priority region/zone/subZone weight: host(health, weight[, tls])...`. */
function layout(cla: ClusterLoadAssignment): string[] {
  return cla.endpoints.map((l) => {
    const where = `${l.priority} ${l.locality!.region}/${l.locality!.zone}/${l.locality!.subZone}`;
    const hosts = l.lbEndpoints.map((e) => {
      const sa =
        e.hostIdentifier.case === 'endpoint' &&
        e.hostIdentifier.value.address?.address.case === 'socketAddress'
          ? e.hostIdentifier.value.address.address.value
          : undefined;
      const port = sa?.portSpecifier.case === 'portValue' ? sa.portSpecifier.value : undefined;
      const tls = e.metadata ? ' tls' : '';
      return `${sa?.address}:${port}(${HealthStatus[e.healthStatus]} ${e.loadBalancingWeight}${tls})`;
    });
    return `${where} ${l.loadBalancingWeight ?? '-'}: ${hosts.join(' ')}`;
  });
}

const build = (spec: string, list: EndpointInfo[], flavor: 'envoy' | 'grpc' = 'envoy') =>
  layout(buildLoadAssignment(route(spec), 'v1', list, flavor));

describe('buildLoadAssignment: which endpoints, at which priority', () => {
  it('keeps only endpoints inside the residency regions; one without a region is not known to be inside', () => {
    const list = [ep('10.0.0.1', { region: 'in' }), ep('10.0.0.2', { region: 'out' }), ep('10.0.0.3')];
    expect(build('residency: { regions: [in, also] }', list)).toEqual(['0 in// -: 10.0.0.1:8001(HEALTHY 1)']);
    expect(build('residency: { regions: [elsewhere] }', list)).toEqual([]);
    // Without residency every endpoint stays.
    expect(build('', list)).toHaveLength(3);
  });

  it('gpu and cpu keep their backend only; any keeps all at priority 0', () => {
    const list = [ep('10.0.0.1', { backend: 'gpu' }), ep('10.0.0.2', { backend: 'cpu' }), ep('10.0.0.3')];
    expect(build('backendPreference: gpu', list)).toEqual(['0 // -: 10.0.0.1:8001(HEALTHY 1)']);
    expect(build('backendPreference: cpu', list)).toEqual(['0 // -: 10.0.0.2:8001(HEALTHY 1)']);
    expect(build('backendPreference: any', list)).toEqual([
      '0 // -: 10.0.0.1:8001(HEALTHY 1) 10.0.0.2:8001(HEALTHY 1) 10.0.0.3:8001(HEALTHY 1)',
    ]);
  });

  it('gpu-overflow-cpu: GPU and unlabeled at 0, CPU at 1, an overflowing CPU at 0', () => {
    const spec = 'backendPreference: gpu-overflow-cpu';
    const cpu = ep('10.0.0.2', { backend: 'cpu' });
    expect(build(spec, [cpu, ep('10.0.0.1', { backend: 'gpu' }), ep('10.0.0.3')])).toEqual([
      '0 // -: 10.0.0.1:8001(HEALTHY 1) 10.0.0.3:8001(HEALTHY 1)',
      '1 // -: 10.0.0.2:8001(HEALTHY 1)',
    ]);
    expect(build(spec, [cpu, ep('10.0.0.4', { backend: 'cpu', overflow: true })])).toEqual([
      '0 // -: 10.0.0.4:8001(HEALTHY 1)',
      '1 // -: 10.0.0.2:8001(HEALTHY 1)',
    ]);
    // No primary endpoint at all: the CPU ones move up to priority 0 (no gap for gRPC).
    expect(build(spec, [cpu, ep('10.0.0.5', { backend: 'cpu' })])).toEqual([
      '0 // -: 10.0.0.2:8001(HEALTHY 1) 10.0.0.5:8001(HEALTHY 1)',
    ]);
  });

  it('keeps endpoints of every health, each with its status', () => {
    const list = (['HEALTHY', 'UNHEALTHY', 'DRAINING', 'UNKNOWN'] as const).map((health, i) =>
      ep(`10.0.0.${i + 1}`, { health }),
    );
    expect(build('', list)).toEqual([
      '0 // -: 10.0.0.1:8001(HEALTHY 1) 10.0.0.2:8001(UNHEALTHY 1) 10.0.0.3:8001(DRAINING 1) 10.0.0.4:8001(UNKNOWN 1)',
    ]);
  });
});

describe('buildLoadAssignment: order and localities', () => {
  it('sorts by priority, region, zone, address and port, whatever the input order', () => {
    const sorted = [
      ep('10.0.0.9', { region: 'a', zone: 'z', backend: 'gpu' }),
      ep('10.0.0.1', { region: 'a', zone: 'x', backend: 'cpu' }),
      ep('10.0.0.1', { region: 'a', zone: 'y', backend: 'cpu', port: 7000 }),
      ep('10.0.0.1', { region: 'a', zone: 'y', backend: 'cpu', port: 8000 }),
      ep('10.0.0.2', { region: 'a', zone: 'y', backend: 'cpu', port: 1000 }),
      ep('10.0.0.0', { region: 'b', zone: 'a', backend: 'cpu' }),
    ];
    const expected = [
      '0 a/z/ -: 10.0.0.9:8001(HEALTHY 1)',
      '1 a/x/ -: 10.0.0.1:8001(HEALTHY 1)',
      '1 a/y/ -: 10.0.0.1:7000(HEALTHY 1) 10.0.0.1:8000(HEALTHY 1) 10.0.0.2:1000(HEALTHY 1)',
      '1 b/a/ -: 10.0.0.0:8001(HEALTHY 1)',
    ];
    const spec = 'backendPreference: gpu-overflow-cpu';
    expect(build(spec, sorted)).toEqual(expected);
    expect(build(spec, [...sorted].reverse())).toEqual(expected);
    expect(build(spec, [sorted[3]!, sorted[0]!, sorted[5]!, sorted[1]!, sorted[4]!, sorted[2]!])).toEqual(
      expected,
    );
  });

  it('keeps the input order of endpoints that sort equal', () => {
    const twins = [
      ep('10.0.0.2'),
      ep('10.0.0.1', { health: 'DRAINING' }),
      ep('10.0.0.1', { health: 'UNKNOWN' }),
    ];
    expect(build('', twins)).toEqual([
      '0 // -: 10.0.0.1:8001(DRAINING 1) 10.0.0.1:8001(UNKNOWN 1) 10.0.0.2:8001(HEALTHY 1)',
    ]);
  });

  it('splits localities by region too, an absent region being the empty one', () => {
    const list = [
      ep('10.0.0.1', { zone: 'a' }),
      ep('10.0.0.2', { region: '', zone: 'a' }),
      ep('10.0.0.3', { region: 'r', zone: 'a' }),
    ];
    expect(build('', list)).toEqual([
      '0 /a/ -: 10.0.0.1:8001(HEALTHY 1) 10.0.0.2:8001(HEALTHY 1)',
      '0 r/a/ -: 10.0.0.3:8001(HEALTHY 1)',
    ]);
  });

  it('gRPC: a weighted endpoint gets a locality of its own (pod id, else address:port), the rest share their zone', () => {
    const list = [
      ep('10.0.0.1', { zone: 'a', weight: 5, podId: 'pod-1' }),
      ep('10.0.0.2', { zone: 'a', weight: 7 }),
      ep('fd00::3', { zone: 'a', weight: 2 }),
      ep('10.0.0.4', { zone: 'a' }),
      ep('10.0.0.5', { zone: 'a' }),
    ];
    expect(build('', list, 'grpc')).toEqual([
      '0 /a/ 2: 10.0.0.4:8001(HEALTHY 1) 10.0.0.5:8001(HEALTHY 1)',
      '0 /a/10.0.0.2:8001 7: 10.0.0.2:8001(HEALTHY 7)',
      '0 /a/[fd00::3]:8001 2: fd00::3:8001(HEALTHY 2)',
      '0 /a/pod-1 5: 10.0.0.1:8001(HEALTHY 5)',
    ]);
    // Envoy: one locality per zone, the weights on the endpoints, no locality weight.
    expect(build('', list, 'envoy')).toEqual([
      '0 /a/ -: 10.0.0.1:8001(HEALTHY 5) 10.0.0.2:8001(HEALTHY 7) 10.0.0.4:8001(HEALTHY 1) 10.0.0.5:8001(HEALTHY 1) fd00::3:8001(HEALTHY 2)',
    ]);
  });

  it('gRPC under ORCA: zone localities weighted by their endpoint count, the tuned weights left out', () => {
    const spec = 'proxylessBalancing: { mode: orca }';
    const list = [
      ep('10.0.0.1', { zone: 'a', weight: 5, podId: 'p1' }),
      ep('10.0.0.2', { zone: 'a', weight: 9 }),
      ep('10.0.0.3', { zone: 'b', weight: 3 }),
    ];
    expect(build(spec, list, 'grpc')).toEqual([
      '0 /a/ 2: 10.0.0.1:8001(HEALTHY 1) 10.0.0.2:8001(HEALTHY 1)',
      '0 /b/ 1: 10.0.0.3:8001(HEALTHY 1)',
    ]);
    // ORCA is a proxyless policy: Envoy keeps the weights.
    expect(build(spec, list, 'envoy')).toEqual([
      '0 /a/ -: 10.0.0.1:8001(HEALTHY 5) 10.0.0.2:8001(HEALTHY 9)',
      '0 /b/ -: 10.0.0.3:8001(HEALTHY 3)',
    ]);
  });

  it('marks TLS-capable endpoints for the transport socket match under PERMISSIVE only', () => {
    const list = [ep('10.0.0.1', { tls: true }), ep('10.0.0.2')];
    expect(build('mtls: PERMISSIVE', list)).toEqual([
      '0 // -: 10.0.0.1:8001(HEALTHY 1 tls) 10.0.0.2:8001(HEALTHY 1)',
    ]);
    expect(build('mtls: STRICT', list)).toEqual([
      '0 // -: 10.0.0.1:8001(HEALTHY 1) 10.0.0.2:8001(HEALTHY 1)',
    ]);
    const cla = buildLoadAssignment(route('mtls: PERMISSIVE'), 'v1', list, 'envoy');
    expect(cla.clusterName).toBe('m/v1');
    // The key Envoy's transport_socket_matches look under, written out.
    expect(cla.endpoints[0]!.lbEndpoints[0]!.metadata!.filterMetadata).toEqual({
      'envoy.transport_socket_match': { tlsMode: 'mtls' },
    });
    // A typed literal: with another $typeName it is no Metadata to protobuf-es.
    expect(isMessage(cla.endpoints[0]!.lbEndpoints[0]!.metadata, MetadataSchema)).toBe(true);
    expect(TLS_MATCH_FILTER).toBe('envoy.transport_socket_match');
  });
});

describe('buildLoadAssignment: one endpoint in full', () => {
  it('a socket address with only address and port set, no hostname, weight 1 when unweighted', () => {
    const cla = buildLoadAssignment(route(), 'v1', [ep('fd00::7', { port: 9001 })], 'envoy');
    const lb = cla.endpoints[0]!.lbEndpoints[0]!;
    expect(lb.hostIdentifier.case).toBe('endpoint');
    if (lb.hostIdentifier.case !== 'endpoint') return;
    const { address, hostname, additionalAddresses } = lb.hostIdentifier.value;
    expect({ hostname, additionalAddresses }).toEqual({ hostname: '', additionalAddresses: [] });
    expect(address!.address.case).toBe('socketAddress');
    if (address!.address.case !== 'socketAddress') return;
    const { protocol, resolverName, ipv4Compat, portSpecifier } = address!.address.value;
    expect({
      address: address!.address.value.address,
      protocol,
      resolverName,
      ipv4Compat,
      portSpecifier,
    }).toEqual({
      address: 'fd00::7',
      protocol: 0,
      resolverName: '',
      ipv4Compat: false,
      portSpecifier: { case: 'portValue', value: 9001 },
    });
    expect([lb.metadata, lb.loadBalancingWeight]).toEqual([undefined, 1]);
  });
});

describe('what takes traffic and where endpoints come from', () => {
  it('takesTraffic: inside residency, of the preferred backend, healthy or unknown', () => {
    const r = route('residency: { regions: [in] }\nbackendPreference: gpu');
    const gpu = (more: Partial<EndpointInfo>) => ep('10.0.0.1', { region: 'in', backend: 'gpu', ...more });
    expect(takesTraffic(r, gpu({}))).toBe(true);
    expect(takesTraffic(r, gpu({ health: 'UNKNOWN' }))).toBe(true);
    expect(takesTraffic(r, gpu({ health: 'DRAINING' }))).toBe(false);
    expect(takesTraffic(r, gpu({ health: 'UNHEALTHY' }))).toBe(false);
    expect(takesTraffic(r, gpu({ region: 'out' }))).toBe(false);
    expect(takesTraffic(r, gpu({ region: undefined }))).toBe(false);
    expect(takesTraffic(r, gpu({ backend: 'cpu' }))).toBe(false);
    // An overflow CPU endpoint at priority 1 still takes traffic.
    expect(
      takesTraffic(route('backendPreference: gpu-overflow-cpu'), ep('10.0.0.1', { backend: 'cpu' })),
    ).toBe(true);
  });

  it('static endpoints win, a registry version reads its registry key, else model/version', () => {
    const r = parsePolicyFile(
      policy(
        'm',
        `versions:
  - { name: s, weight: 40, endpoints: [{ address: 127.0.0.1, port: 9000 }] }
  - { name: reg, weight: 30, model: { registry: "m-reg:4" }, replicas: { min: 1 }, device: cpu }
  - { name: d, weight: 30 }`,
      ),
      'm.yaml',
    )[0]!;
    const table = new Map([
      ['m/s', [ep('10.9.9.9')]],
      ['m-reg/4', [ep('10.0.0.4')]],
      ['m/d', [ep('10.0.0.5')]],
    ]);
    const statics = versionEndpointsSource(r, 's');
    expect(statics).toEqual([{ address: '127.0.0.1', port: 9000, health: 'HEALTHY' }]);
    // One converted list per policy list, so an unchanged static version stays memoized.
    expect(versionEndpointsSource(r, 's')).toBe(statics);
    expect(versionEndpoints(r, 's', table)).toBe(statics);
    expect(versionEndpointsSource(r, 'reg')).toBe('m-reg/4');
    expect(versionEndpoints(r, 'reg', table)).toBe(table.get('m-reg/4'));
    expect(versionEndpointsSource(r, 'd')).toBe('m/d');
    expect(versionEndpoints(r, 'd', table)).toBe(table.get('m/d'));
    expect(versionEndpoints(r, 'd', new Map())).toBe(NO_ENDPOINTS);
    expect(versionEndpointsSource(r, 'gone')).toBe('m/gone');
  });
});

describe('socket address ports', () => {
  it('writes each port as it is, from 0 to the highest', () => {
    const ports = [0, 1, 8001, 65_535];
    const cla = buildLoadAssignment(
      route(),
      'v1',
      ports.map((port) => ep('10.0.0.1', { port })),
      'envoy',
    );
    const written = cla.endpoints[0]!.lbEndpoints.map((lb) => {
      if (lb.hostIdentifier.case !== 'endpoint') throw new Error('no endpoint');
      const a = lb.hostIdentifier.value.address!.address;
      return a.case === 'socketAddress' ? a.value.portSpecifier : undefined;
    });
    expect(written).toEqual(ports.map((value) => ({ case: 'portValue', value })));
  });
});
