// Route configurations assembled from cached pieces are byte for byte what toBinary writes, and
// name the same clusters, for the gateway of many models and after one model changed.
import { create, toBinary } from '@bufbuild/protobuf';
import { WireType } from '@bufbuild/protobuf/wire';
import { describe, expect, it } from 'vitest';
import { VirtualHostSchema } from '../../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import {
  type RouteConfiguration,
  RouteConfigurationSchema,
} from '../../../protos/gen/envoy/config/route/v3/route_pb.js';
import { type ModelRoute, parsePolicyFile } from '../../policy/index.js';
import { translate } from '../../translate/index.js';
import { routeClusters } from '../../validate/references.js';
import { RouteConfigEncoder } from './piecewise.js';

function route(model: string, weight: number, match = false): ModelRoute {
  return parsePolicyFile(
    `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: ${model}, namespace: default }
spec:
  model: ${model}
  mtls: DISABLE
  versions:
    - { name: v1, weight: ${weight}, endpoints: [{ address: 10.0.0.1, port: 9001 }] }
    - { name: v2, weight: ${100 - weight}, endpoints: [{ address: 10.0.0.2, port: 9002 }] }
${match ? '  match: [{ headers: { x-canary: "1" }, version: v2 }]\n  retries: { attempts: 2, perTryTimeout: 1s }\n' : ''}`,
    `${model}.yaml`,
  )[0]!;
}

describe('RouteConfigEncoder', () => {
  it('writes the bytes toBinary writes, whole and after one model changed', () => {
    const enc = new RouteConfigEncoder();
    const routes = Array.from({ length: 30 }, (_, i) => route(`m${i}`, 50 + i, i % 3 === 0));
    for (const flavor of ['envoy', 'grpc'] as const) {
      for (const set of [routes, routes.map((r, i) => (i === 7 ? route('m7', 5, true) : r))]) {
        const rcs = translate({ routes: set, endpoints: new Map() }, flavor).routes;
        expect(rcs.length).toBeGreaterThan(0);
        for (const rc of rcs) {
          const bytes = enc.encode(rc);
          expect(Buffer.from(bytes).equals(Buffer.from(toBinary(RouteConfigurationSchema, rc)))).toBe(true);
          expect(enc.clusters(rc)).toEqual(routeClusters(rc));
        }
      }
    }
  });

  it('writes the bytes toBinary writes for a gateway served as a matcher tree', () => {
    const enc = new RouteConfigEncoder();
    const routes = Array.from({ length: 30 }, (_, i) => route(`m${i}`, 50 + i, i % 3 === 0));
    for (const set of [routes, routes.map((r, i) => (i === 7 ? route('m7', 5, true) : r))]) {
      const rcs = translate({ routes: set, endpoints: new Map() }, 'envoy', {
        gatewayRouteMatcher: 'tree',
      }).routes;
      const gateway = rcs.find((rc) => rc.virtualHosts.some((vh) => vh.matcher));
      expect(gateway).toBeDefined();
      for (const rc of rcs) {
        expect(Buffer.from(enc.encode(rc)).equals(Buffer.from(toBinary(RouteConfigurationSchema, rc)))).toBe(
          true,
        );
        expect(enc.clusters(rc)).toEqual(routeClusters(rc));
      }
    }
  });

  it('keeps fields numbered after the virtual hosts in place', () => {
    const enc = new RouteConfigEncoder();
    const [rc] = translate({ routes: [route('a', 60, true)], endpoints: new Map() }, 'envoy').routes;
    // Fields numbered after virtual_hosts (2): they must follow the assembled hosts.
    const withTail = { ...rc!, validateClusters: true, maxDirectResponseBodySizeBytes: 4096 };
    expect(
      Buffer.from(enc.encode(withTail)).equals(Buffer.from(toBinary(RouteConfigurationSchema, withTail))),
    ).toBe(true);
  });

  it('places the routes by the tags before them, and by encoding those fields when there are unknown ones', () => {
    const enc = new RouteConfigEncoder();
    const [rc] = translate({ routes: [route('a', 60, true)], endpoints: new Map() }, 'envoy').routes;
    const vh = rc!.virtualHosts.find((h) => h.routes.length > 0)!;
    const same = (x: RouteConfiguration) =>
      Buffer.from(enc.encode(x)).equals(Buffer.from(toBinary(RouteConfigurationSchema, x)));
    // Fields on both sides of routes (3): name and domains before, require_tls (4), the retry
    // policy (16) and a fixed-width one, per_request_buffer_limit_bytes (18, a UInt32Value), after.
    const busy = {
      ...vh,
      domains: ['a', 'b'.repeat(200)],
      requireTls: 2,
      perRequestBufferLimitBytes: 1 << 20,
      includeRequestAttemptCount: true,
    };
    expect(same({ ...rc!, virtualHosts: [busy] })).toBe(true);
    // An unknown field numbered below routes: toBinary writes it last, after the routes, so
    // with no known field after the routes the tags do not say where they go.
    const $unknown = [{ no: 1, wireType: WireType.Varint, data: new Uint8Array([8, 5]) }];
    const bare = create(VirtualHostSchema, { name: vh.name, domains: vh.domains, routes: vh.routes });
    expect(same({ ...rc!, virtualHosts: [{ ...bare, $unknown }] })).toBe(true);
    expect(same({ ...rc!, virtualHosts: [{ ...busy, $unknown }] })).toBe(true);
  });

  it('encodes a new route configuration one route per step, then assembles it from the cache', () => {
    const enc = new RouteConfigEncoder();
    const routes = Array.from({ length: 5 }, (_, i) => route(`m${i}`, 50 + i, true));
    const rcs = translate({ routes, endpoints: new Map() }, 'envoy').routes;
    const withRoutes = rcs.filter((rc) => rc.virtualHosts.some((vh) => vh.routes.length > 0));
    expect(withRoutes.length).toBeGreaterThan(0);
    for (const rc of withRoutes) {
      // One step per route object (a route shared by two hosts is encoded once).
      const count = new Set(rc.virtualHosts.flatMap((vh) => vh.routes)).size;
      expect([...enc.warmSteps(rc)]).toHaveLength(count);
      // Warm: nothing left to encode, and the pieces assemble into toBinary's bytes.
      expect([...enc.warmSteps(rc)]).toHaveLength(0);
      expect(Buffer.from(enc.encode(rc)).equals(Buffer.from(toBinary(RouteConfigurationSchema, rc)))).toBe(
        true,
      );
      expect(enc.clusters(rc)).toEqual(routeClusters(rc));
    }
  });
});
