// Make before break on the control plane's side: a registry version's EDS lists a pod only once
// the pod reports that version READY, keeps it (marked DRAINING) while the pod drains, and drops
// it as soon as the pod reports the version UNLOADING, before the pod unloads it. Discovery's
// table fed with the pods' own registrations, then the real translator.
import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { podInfoOf } from '../../control-plane/endpoints/model/signals.js';
import { EndpointTableState } from '../../control-plane/endpoints/model/table.js';
import { parsePolicyFile } from '../../control-plane/policy/index.js';
import { translate } from '../../control-plane/translate/index.js';
import {
  ModelState,
  PodRegistrationSchema,
  PodState,
} from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';

const [route] = parsePolicyFile(
  `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: fraud }
spec:
  model: fraud
  mtls: DISABLE
  versions:
    - { name: v1, weight: 50 }
    - { name: v2, weight: 50, model: { registry: "fraud:2" }, replicas: { min: 2 } }
`,
  'fraud.yaml',
);

let revision = 0n;
function registration(podId: string, port: number, state: ModelState, podState = PodState.SERVING) {
  revision++;
  return podInfoOf(
    create(PodRegistrationSchema, {
      podId,
      address: '127.0.0.1',
      ports: { grpc: port },
      region: 'local',
      zone: 'a',
      startedAtMs: 1n,
      revision,
      sequence: revision,
      heartbeatIntervalMs: 1000,
      managed: true,
      state: podState,
      models: [
        { model: 'fraud', version: 'v1', state: ModelState.READY },
        { model: 'fraud', version: '2', state },
      ],
    }),
  );
}

/** Ports of the pods EDS lists for v2, with their health status. */
function v2Endpoints(table: EndpointTableState): string[] {
  const set = translate({ routes: [route!], endpoints: table.routingTable() }, 'grpc');
  const cla = set.endpoints.find((c) => c.clusterName.endsWith('fraud/v2'));
  return (cla?.endpoints ?? [])
    .flatMap((l) => l.lbEndpoints)
    .map((e) => {
      const id = e.hostIdentifier;
      const a = id.case === 'endpoint' ? id.value.address?.address : undefined;
      const port =
        a?.case === 'socketAddress' && a.value.portSpecifier.case === 'portValue'
          ? a.value.portSpecifier.value
          : '?';
      return `${port}:${e.healthStatus}`;
    })
    .sort();
}

describe('make before break in EDS for a registry version', () => {
  it('lists a pod only once it reports the version READY and drops it when it starts unloading', () => {
    const table = new EndpointTableState();
    table.register(registration('pod-a', 9001, ModelState.READY), 0);
    table.register(registration('pod-b', 9002, ModelState.LOADING), 0);
    // pod-b is assigned and loading: it serves v1 but is not in v2's EDS.
    expect(v2Endpoints(table)).toEqual(['9001:1']);

    table.register(registration('pod-b', 9002, ModelState.READY), 10);
    expect(v2Endpoints(table)).toEqual(['9001:1', '9002:1']);

    // Unassigned from pod-a: it reports UNLOADING first, and EDS drops it before it unloads.
    table.register(registration('pod-a', 9001, ModelState.UNLOADING), 20);
    expect(v2Endpoints(table)).toEqual(['9002:1']);

    // A FAILED load never enters EDS either.
    table.register(registration('pod-c', 9003, ModelState.FAILED), 30);
    expect(v2Endpoints(table)).toEqual(['9002:1']);
  });

  it('keeps a draining pod in EDS marked DRAINING (no new traffic) until it leaves', () => {
    const table = new EndpointTableState();
    table.register(registration('pod-a', 9001, ModelState.READY), 0);
    table.register(registration('pod-b', 9002, ModelState.READY), 0);
    table.register(registration('pod-a', 9001, ModelState.READY, PodState.DRAINING), 10);
    // HealthStatus: 1 HEALTHY, 3 DRAINING.
    expect(v2Endpoints(table)).toEqual(['9001:3', '9002:1']);
  });
});
