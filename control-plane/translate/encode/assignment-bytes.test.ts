// The assignments written as bytes against the messages they stand for: for generated endpoint
// lists (both flavors, every balancing and TLS mode, weights, health, localities, non-ASCII and
// long strings, and values outside the rules), an assignment is written as bytes exactly when
// its messages pass the checker and encode, its bytes are then toBinary's of those messages,
// and reading it gives those messages.
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import type { Issue } from '../../../kernel/errors/index.js';
import { seededRandom } from '../../../kernel/runtime/seeded-random.js';
import {
  type ClusterLoadAssignment,
  ClusterLoadAssignmentSchema,
} from '../../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { type ModelRoute, validatePolicy } from '../../policy/index.js';
import { encodingOf } from '../../resources/index.js';
import { checkMessage } from '../../validate/pgv.js';
import { buildLoadAssignment } from '../endpoints.js';
import type { EndpointInfo } from '../types.js';

function route(spec: Record<string, unknown>): ModelRoute {
  const issues: Issue[] = [];
  const r = validatePolicy(
    {
      apiVersion: 'switchyard.dev/v1alpha1',
      kind: 'ModelRoute',
      metadata: { name: 'm' },
      spec: { model: 'm', versions: [{ name: 'v1' }], ...spec },
    },
    issues,
  );
  if (!r) throw new Error(JSON.stringify(issues));
  return r;
}

const ROUTES = [
  route({}),
  route({ mtls: 'STRICT' }),
  route({ mtls: 'DISABLE', backendPreference: 'gpu-overflow-cpu' }),
  route({ proxylessBalancing: { mode: 'orca' } }),
  route({ backendPreference: 'gpu', residency: { regions: ['eu', 'us'] } }),
];

const LONG = 'x'.repeat(130);
const ADDRESSES = ['10.0.0.1', '10.0.0.2', 'fd00::1', 'héllo', '\ud800lone', '😀', LONG, ''];
const PORTS = [0, 1, 8001, 127, 128, 16_384, 65_535, 65_536, 1.5, Number.NaN];
const WEIGHTS = [undefined, undefined, 1, 2, 127, 128, 70_000, 2 ** 32 - 1, 0, 2 ** 32, 1.5, Number.NaN];
const LABELS = [undefined, '', 'eu', 'a', 'ü-west', LONG];
const HEALTH = ['HEALTHY', 'UNHEALTHY', 'DRAINING', 'UNKNOWN'] as const;

function encodes(cla: ClusterLoadAssignment): boolean {
  try {
    toBinary(ClusterLoadAssignmentSchema, cla);
    return true;
  } catch {
    return false;
  }
}

describe('assignments as bytes', () => {
  it('are written exactly when the messages pass the checker, with toBinary’s bytes', () => {
    const r = seededRandom(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    // Mostly plain values, so most lists are valid; now and then one outside the rules.
    const odd = <T>(plain: readonly T[], all: readonly T[]): T => (r() < 0.04 ? pick(all) : pick(plain));
    let written = 0;
    let refused = 0;
    for (let round = 0; round < 400; round++) {
      const n = Math.floor(r() * 24);
      const list: EndpointInfo[] = Array.from({ length: n }, (_, i) => ({
        address: odd(ADDRESSES.slice(0, 3), ADDRESSES),
        port: odd([8001, 8002, 65_535, 0], PORTS),
        region: odd([undefined, 'eu', 'us', 'ü-west'], LABELS),
        zone: odd(['a', 'b', undefined], LABELS),
        health: pick(HEALTH),
        ...(r() < 0.5 ? { weight: odd([1, 3, 200], WEIGHTS) } : {}),
        ...(r() < 0.5 ? { tls: true } : {}),
        ...(r() < 0.3 ? { backend: pick(['gpu', 'cpu'] as const) } : {}),
        ...(r() < 0.2 ? { overflow: true } : {}),
        ...(r() < 0.3 ? { podId: `pod-${i % 5}` } : {}),
      }));
      for (const rt of ROUTES)
        for (const flavor of ['envoy', 'grpc'] as const) {
          const cla = buildLoadAssignment(rt, 'v1', list, flavor);
          const messages = buildLoadAssignment(rt, 'v1', list, flavor, undefined, false);
          expect(encodingOf(messages)).toBeUndefined();
          const bytes = encodingOf(cla);
          const clean = checkMessage(ClusterLoadAssignmentSchema, messages).length === 0 && encodes(messages);
          if (messages.endpoints.length === 0) {
            expect(bytes).toBeUndefined();
            continue;
          }
          // The list is spelled only for a failure: JSON of every list was most of this test's time.
          if ((bytes !== undefined) !== clean)
            expect.fail(
              `written: ${bytes !== undefined}, passes the checker: ${clean}, ${JSON.stringify({ flavor, list })}`,
            );
          if (!bytes) {
            refused++;
            expect(cla.endpoints).toEqual(messages.endpoints);
            continue;
          }
          written++;
          expect(bytes).toEqual(toBinary(ClusterLoadAssignmentSchema, messages));
          // Read: the messages themselves (a lone surrogate reads back as the U+FFFD it was
          // sent as), and no longer served from the bytes.
          const lossy = list.some((e) => e.address.includes('\ud800'));
          expect(cla).toEqual(lossy ? fromBinary(ClusterLoadAssignmentSchema, bytes) : messages);
          expect(encodingOf(cla)).toBeUndefined();
          expect(toBinary(ClusterLoadAssignmentSchema, cla)).toEqual(bytes);
        }
    }
    // Both kinds were exercised many times over.
    expect(written).toBeGreaterThan(2000);
    expect(refused).toBeGreaterThan(400);
  });

  it('serves its bytes until a field is read or replaced, then is an ordinary message', () => {
    const list: EndpointInfo[] = [
      { address: '10.0.0.1', port: 8001, health: 'HEALTHY', zone: 'a' },
      { address: '10.0.0.2', port: 8001, health: 'HEALTHY', zone: 'b', weight: 3 },
    ];
    const cla = buildLoadAssignment(ROUTES[0]!, 'v1', list, 'grpc');
    const bytes = encodingOf(cla)!;
    expect(bytes).toBeInstanceOf(Uint8Array);
    // Its own fields as any message has them, the bytes out of sight.
    expect(Object.keys(cla)).toEqual(['$typeName', 'clusterName', 'endpoints', 'namedEndpoints']);
    expect(encodingOf(cla)).toBe(bytes);
    cla.endpoints = [];
    expect(encodingOf(cla)).toBeUndefined();
    expect(toBinary(ClusterLoadAssignmentSchema, cla)).not.toEqual(bytes);

    const read = buildLoadAssignment(ROUTES[0]!, 'v1', list, 'grpc');
    read.endpoints[0]!.lbEndpoints[0]!.loadBalancingWeight = 0;
    expect(encodingOf(read)).toBeUndefined();
    // The change is what the checker sees, not the bytes written before it.
    expect(checkMessage(ClusterLoadAssignmentSchema, read).map((i) => i.path)).toEqual([
      'endpoints[0].lb_endpoints[0].load_balancing_weight',
    ]);
    expect({ ...buildLoadAssignment(ROUTES[0]!, 'v1', list, 'grpc') }).toEqual(
      buildLoadAssignment(ROUTES[0]!, 'v1', list, 'grpc', undefined, false),
    );
  });

  it('writes lists longer than its scratch space, across many localities', () => {
    const list: EndpointInfo[] = Array.from({ length: 700 }, (_, i) => ({
      address: `10.${i >> 8}.${i & 255}.1`,
      port: 1 + ((i * 97) % 65_535),
      zone: `z${i % 40}`,
      region: i % 2 ? 'eu' : 'us',
      health: HEALTH[i % 4]!,
      weight: 1 + (i % 300),
      podId: `pod-${i}`,
    }));
    for (const flavor of ['envoy', 'grpc'] as const) {
      const cla = buildLoadAssignment(ROUTES[0]!, 'v1', list, flavor);
      const messages = buildLoadAssignment(ROUTES[0]!, 'v1', list, flavor, undefined, false);
      expect(encodingOf(cla)).toEqual(toBinary(ClusterLoadAssignmentSchema, messages));
    }
  });
});
