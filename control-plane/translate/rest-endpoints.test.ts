// The Envoy gateway's REST assignments (rest-endpoints.ts): only endpoints with an HTTP port,
// each on that port. They read the table's endpoint objects in place; the reference here is the
// definition they replaced, the same assignment built over copies of the endpoints moved onto
// their HTTP ports, and both the bytes and the messages must equal it.
import { toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../kernel/runtime/seeded-random.js';
import { ClusterLoadAssignmentSchema } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { parsePolicyFile } from '../policy/index.js';
import { encodingOf } from '../resources/index.js';
import { namedLoadAssignment } from './endpoints.js';
import { buildRestLoadAssignment, envoyAssignments } from './rest-endpoints.js';
import { TranslationCache } from './translation-cache.js';
import type { EndpointInfo, Flavor } from './types.js';

function policy(extra: string) {
  return parsePolicyFile(
    `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: resnet }
spec:
  model: resnet
  versions: [{ name: v1, weight: 100 }]
${extra}`,
    'p.yaml',
  )[0]!;
}

const ROUTE = policy('');
const ROUTES = [
  ROUTE,
  policy('  mtls: PERMISSIVE\n  backendPreference: gpu-overflow-cpu'),
  policy('  mtls: DISABLE\n  backendPreference: any\n  residency: { regions: [eu] }'),
  policy('  proxylessBalancing: { mode: orca }'),
];

const withHttp: EndpointInfo = {
  address: '10.0.0.1',
  port: 8001,
  httpPort: 8080,
  health: 'HEALTHY',
  zone: 'z1',
};
const grpcOnly: EndpointInfo = { address: '10.0.0.2', port: 8001, health: 'HEALTHY' };

function portsOf(cla: ReturnType<typeof buildRestLoadAssignment>): string[] {
  return cla.endpoints.flatMap((l) =>
    l.lbEndpoints.map((e) => {
      const ep = e.hostIdentifier.case === 'endpoint' ? e.hostIdentifier.value : undefined;
      const sa = ep?.address?.address.case === 'socketAddress' ? ep.address.address.value : undefined;
      return `${sa?.address}:${sa?.portSpecifier.case === 'portValue' ? sa.portSpecifier.value : '-'}`;
    }),
  );
}

/** The reference: the endpoints with an HTTP port, copied onto it. */
function onHttpPorts(list: readonly EndpointInfo[]): EndpointInfo[] {
  return list.flatMap((e) => (e.httpPort === undefined ? [] : [{ ...e, port: e.httpPort }]));
}

function randomList(rand: () => number): EndpointInfo[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  // Mostly values inside the rules (written as bytes), now and then one outside them.
  const odd = () => rand() < 0.02;
  return Array.from({ length: 1 + Math.floor(rand() * (rand() < 0.1 ? 40 : 12)) }, () => ({
    address: pick(['10.0.0.1', '10.0.0.2', 'fd00::1', 'pod-a']),
    port: odd() ? 70_000 : pick([8001, 8002, 9000]),
    ...(rand() < 0.8 ? { httpPort: odd() ? 65_536 : pick([8080, 8081, 7000, 0, 65_535]) } : {}),
    health: pick(['HEALTHY', 'UNHEALTHY', 'DRAINING', 'UNKNOWN'] as const),
    region: pick(['eu', 'us', undefined]),
    zone: pick(['z1', 'z2', undefined]),
    backend: pick(['gpu', 'cpu'] as const),
    ...(rand() < 0.5 ? { weight: odd() ? 0 : pick([1, 3, 100]) } : {}),
    ...(rand() < 0.3 ? { podId: pick(['p1', 'p2']) } : {}),
    ...(rand() < 0.5 ? { tls: true } : {}),
  }));
}

describe('buildRestLoadAssignment', () => {
  it("names the version's REST cluster and lists only the HTTP ports", () => {
    const cla = buildRestLoadAssignment(ROUTE, 'v1', [grpcOnly, withHttp], 'envoy');
    expect(cla.clusterName).toBe('resnet/v1/http');
    expect(portsOf(cla)).toEqual(['10.0.0.1:8080']);
  });

  it('is empty where no endpoint has an HTTP port', () => {
    expect(buildRestLoadAssignment(ROUTE, 'v1', [grpcOnly], 'envoy').endpoints).toEqual([]);
  });

  it('sorts by the HTTP port, not the gRPC one', () => {
    const a = { ...withHttp, port: 8001, httpPort: 9002 };
    const b = { ...withHttp, port: 8002, httpPort: 9001 };
    expect(portsOf(buildRestLoadAssignment(ROUTE, 'v1', [a, b], 'envoy'))).toEqual([
      '10.0.0.1:9001',
      '10.0.0.1:9002',
    ]);
  });

  it('equals the assignment over the endpoints copied onto their HTTP ports, as bytes and as messages', () => {
    const rand = seededRandom(7);
    let bytes = 0;
    for (let n = 0; n < 400; n++) {
      const route = ROUTES[n % ROUTES.length]!;
      const flavor: Flavor = n % 5 === 4 ? 'grpc' : 'envoy';
      const list = randomList(rand);
      const cache = new TranslationCache();
      const want = namedLoadAssignment('resnet/v1/http', route, onHttpPorts(list), flavor, cache, false);
      const got = buildRestLoadAssignment(route, 'v1', list, flavor, cache);
      const asMessages = buildRestLoadAssignment(route, 'v1', list, flavor, cache, undefined, false);
      const encoded = encodingOf(got);
      let wantBytes: Uint8Array | undefined;
      try {
        wantBytes = toBinary(ClusterLoadAssignmentSchema, want);
      } catch {
        // A port outside the range fails to encode: then nothing may be pre-encoded either.
        expect(encoded).toBeUndefined();
        continue;
      }
      if (encoded) {
        expect(encoded).toEqual(wantBytes);
        bytes++;
      }
      expect(toBinary(ClusterLoadAssignmentSchema, asMessages)).toEqual(wantBytes);
      expect(got.endpoints).toEqual(want.endpoints);
    }
    // Most lists are written as bytes; the rest (weights or ports outside the rules) as messages.
    expect(bytes).toBeGreaterThan(100);
  });
});

/** Lists for the pair: mostly every endpoint on an HTTP port, ports of one and two varint bytes. */
function twinList(rand: () => number): EndpointInfo[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const all = rand() < 0.8;
  return randomList(rand).map((e) => {
    const { httpPort: _, ...rest } = e;
    const port = pick([8001, 8002, 9000, 100, e.port]);
    if (!all && rand() < 0.2) return { ...rest, port };
    return {
      ...rest,
      port,
      // Now and then a port no encoder takes: the pair must fall back exactly as one at a time.
      httpPort:
        rand() < 0.04
          ? pick([-1, Number.NaN, 1.5])
          : pick([8080, 8081, 7000, 100, 127, 65_535, 70_000, e.httpPort ?? 1]),
    };
  });
}

function bytesOf(cla: ReturnType<typeof buildRestLoadAssignment>): Uint8Array | undefined {
  try {
    return encodingOf(cla) ?? toBinary(ClusterLoadAssignmentSchema, cla);
  } catch {
    return undefined; // a port outside the range: nothing encodes it
  }
}

describe('envoyAssignments', () => {
  it("equals the version's gRPC and REST assignments made one at a time, as bytes and as messages", () => {
    const rand = seededRandom(11);
    let encodedRest = 0;
    for (let n = 0; n < 600; n++) {
      const route = ROUTES[n % ROUTES.length]!;
      const list = twinList(rand);
      const cache = new TranslationCache();
      const [grpc, rest] = envoyAssignments('resnet/v1', 'resnet/v1/http', route, list, cache);
      const wantGrpc = namedLoadAssignment('resnet/v1', route, list, 'envoy', cache);
      const wantRest = namedLoadAssignment('resnet/v1/http', route, list, 'envoy', cache, true, true);
      expect(bytesOf(grpc)).toEqual(bytesOf(wantGrpc));
      expect(bytesOf(rest)).toEqual(bytesOf(wantRest));
      if (encodingOf(rest)) encodedRest++;
      expect(rest.clusterName).toBe('resnet/v1/http');
      expect(rest.endpoints).toEqual(wantRest.endpoints);
      expect(grpc.endpoints).toEqual(wantGrpc.endpoints);
    }
    expect(encodedRest).toBeGreaterThan(200);
  });

  it('sorts the REST endpoints by their own ports where the two orders differ', () => {
    const a = { ...withHttp, port: 8001, httpPort: 9002 };
    const b = { ...withHttp, port: 8002, httpPort: 9001 };
    const [grpc, rest] = envoyAssignments(
      'resnet/v1',
      'resnet/v1/http',
      ROUTE,
      [a, b],
      new TranslationCache(),
    );
    expect(portsOf(grpc)).toEqual(['10.0.0.1:8001', '10.0.0.1:8002']);
    expect(portsOf(rest)).toEqual(['10.0.0.1:9001', '10.0.0.1:9002']);
  });

  it('writes a port whose varint is longer or shorter than the gRPC one', () => {
    const a = { ...withHttp, port: 100, httpPort: 9001 };
    const b = { ...withHttp, address: '10.0.0.2', port: 8001, httpPort: 80 };
    const [, rest] = envoyAssignments('resnet/v1', 'resnet/v1/http', ROUTE, [a, b], new TranslationCache());
    // Written as bytes (the first read of its endpoints decodes them, after which it is messages).
    const bytes = encodingOf(rest);
    expect(bytes).toBeDefined();
    expect(portsOf(rest)).toEqual(['10.0.0.1:9001', '10.0.0.2:80']);
    expect(toBinary(ClusterLoadAssignmentSchema, rest)).toEqual(bytes);
  });
});
