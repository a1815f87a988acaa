// Route configurations assembled from cached pieces are byte for byte what toBinary writes, and
// name the same clusters, for the gateway of many models and after one model changed.
import { toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { RouteConfigurationSchema } from '../../../protos/gen/envoy/config/route/v3/route_pb.js';
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
