// Make before break for weights, and a port per version, on the control plane's side: discovery's
// table fed with managed pods' registrations, then the real translator's route and EDS.
import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { podInfoOf } from '../../control-plane/endpoints/model/signals.js';
import { EndpointTableState } from '../../control-plane/endpoints/model/table.js';
import { type ModelRoute, parsePolicyFile } from '../../control-plane/policy/index.js';
import { translate, withReadyWeights } from '../../control-plane/translate/index.js';
import { moveWeights, routesWithReadyWeights } from '../../control-plane/translate/ready-weights.js';
import type { EndpointTable } from '../../control-plane/translate/types.js';
import { ModelState, PodRegistrationSchema } from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';

const routeOf = (versions: string): ModelRoute =>
  parsePolicyFile(
    `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: fraud }
spec:
  model: fraud
  mtls: DISABLE
  versions:
${versions}
`,
    'fraud.yaml',
  )[0]!;

let revision = 0n;
function register(
  table: EndpointTableState,
  podId: string,
  models: Array<{ version: string; state: ModelState; grpcPort?: number }>,
) {
  revision++;
  table.register(
    podInfoOf(
      create(PodRegistrationSchema, {
        podId,
        address: '127.0.0.1',
        ports: { grpc: 9000 },
        region: 'local',
        zone: 'a',
        startedAtMs: 1n,
        revision,
        sequence: revision,
        heartbeatIntervalMs: 1000,
        managed: true,
        models: models.map((m) => ({ model: 'fraud', ...m })),
      }),
    ),
    0,
  );
}

/** The gRPC route's clusters and weights, as `cluster=weight`. */
function split(route: ModelRoute, endpoints: EndpointTable): string[] {
  const set = translate({ routes: [withReadyWeights(route, endpoints)], endpoints }, 'grpc');
  const action = set.routes[0]!.virtualHosts[0]!.routes[0]!.action;
  if (action.case !== 'route') throw new Error('no route action');
  const spec = action.value.clusterSpecifier;
  if (spec.case === 'cluster') return [`${spec.value}=all`];
  if (spec.case !== 'weightedClusters') throw new Error(String(spec.case));
  return spec.value.clusters.map((c) => `${c.name}=${c.weight}`);
}

function ports(endpoints: EndpointTable, route: ModelRoute, version: string): number[] {
  const set = translate({ routes: [route], endpoints }, 'grpc');
  const cla = set.endpoints.find((c) => c.clusterName.endsWith(`fraud/${version}`));
  return (cla?.endpoints ?? [])
    .flatMap((l) => l.lbEndpoints)
    .map((e) => {
      const a = e.hostIdentifier.case === 'endpoint' ? e.hostIdentifier.value.address?.address : undefined;
      return a?.case === 'socketAddress' && a.value.portSpecifier.case === 'portValue'
        ? a.value.portSpecifier.value
        : -1;
    })
    .sort();
}

describe('moveWeights', () => {
  it('shares the held weight in proportion and keeps the total exactly', () => {
    expect(moveWeights([50, 30, 20], new Set([0]), [1, 2])).toEqual([0, 60, 40]);
    expect(moveWeights([1, 1, 1], new Set([0]), [1, 2])).toEqual([0, 2, 1]);
    expect(moveWeights([10, 0, 0], new Set([0]), [1, 2])).toEqual([0, 5, 5]);
    const w = moveWeights([7, 3, 5, 11], new Set([3]), [0, 1, 2]);
    expect(w.reduce((a, b) => a + b, 0)).toBe(26);
    expect(w[3]).toBe(0);
  });
});

describe('make before break for weights', () => {
  const route = routeOf(`    - { name: v1, weight: 50, model: { registry: "fraud:1" } }
    - { name: v2, weight: 50, model: { registry: "fraud:2" } }
    - { name: v3, weight: 0, model: { registry: "fraud:3" } }`);

  it('a weighted registry version without a READY endpoint takes no traffic until one is READY', () => {
    const table = new EndpointTableState();
    register(table, 'pod-a', [{ version: '1', state: ModelState.READY }]);
    expect(split(route, table.routingTable())).toEqual(['fraud/v1=all']);
    register(table, 'pod-a', [
      { version: '1', state: ModelState.READY },
      { version: '2', state: ModelState.LOADING },
    ]);
    expect(split(route, table.routingTable())).toEqual(['fraud/v1=all']);
    register(table, 'pod-a', [
      { version: '1', state: ModelState.READY },
      { version: '2', state: ModelState.READY },
    ]);
    expect(split(route, table.routingTable())).toEqual(['fraud/v1=50', 'fraud/v2=50']);
    // v1 unloading: its half moves to v2 (the route is never left pointing at an empty cluster).
    register(table, 'pod-a', [
      { version: '1', state: ModelState.UNLOADING },
      { version: '2', state: ModelState.READY },
    ]);
    expect(split(route, table.routingTable())).toEqual(['fraud/v2=all']);
  });

  it('keeps the route as written when no version can take traffic, and the same object while nothing changes', () => {
    const empty: EndpointTable = new Map();
    expect(withReadyWeights(route, empty)).toBe(route);
    const table = new EndpointTableState();
    register(table, 'pod-a', [{ version: '1', state: ModelState.READY }]);
    const a = withReadyWeights(route, table.routingTable());
    expect(a).not.toBe(route);
    expect(withReadyWeights(route, table.routingTable())).toBe(a);
    const routes = [route];
    expect(routesWithReadyWeights(routes, empty)).toBe(routes);
  });

  it('leaves versions with discovered or static endpoints as written', () => {
    const mixed = routeOf(`    - { name: v1, weight: 50 }
    - { name: v2, weight: 50, endpoints: [{ address: 10.0.0.1, port: 9000 }] }`);
    expect(withReadyWeights(mixed, new Map())).toBe(mixed);
  });
});

describe('a port per version', () => {
  it("a version's endpoint uses the port its pod reports for it, else the pod's port", () => {
    const route = routeOf(`    - { name: v1, weight: 50, model: { registry: "fraud:1" } }
    - { name: v2, weight: 50, model: { registry: "fraud:2" } }`);
    const table = new EndpointTableState();
    register(table, 'pod-a', [
      { version: '1', state: ModelState.READY, grpcPort: 9101 },
      { version: '2', state: ModelState.READY, grpcPort: 9102 },
    ]);
    register(table, 'pod-b', [{ version: '1', state: ModelState.READY }]);
    expect(ports(table.routingTable(), route, 'v1')).toEqual([9000, 9101]);
    expect(ports(table.routingTable(), route, 'v2')).toEqual([9102]);
    // A new port (the pod reloaded the version) reaches EDS.
    register(table, 'pod-a', [
      { version: '1', state: ModelState.READY, grpcPort: 9101 },
      { version: '2', state: ModelState.READY, grpcPort: 9202 },
    ]);
    expect(ports(table.routingTable(), route, 'v2')).toEqual([9202]);
  });
});
