// A pod's junk figures stay that pod's problem: NaN, absurd utilization and a forged maximum
// sequence published on a pod's own subject (with its own NATS credentials) are rejected where
// they enter and counted, the log gets a few lines instead of one per message, and another
// model, followed by a real grpc-js-xds client, keeps getting its updates.
import { create, toBinary } from '@bufbuild/protobuf';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podSubjects } from '../../kernel/contract/subjects.js';
import { createLogger } from '../../kernel/log/index.js';
import {
  HeartbeatSchema,
  LatencyWindowSchema,
  ModelLoadSchema,
  ModelState,
  ModelVersionSchema,
  PodRegistrationSchema,
  PortsSchema,
  UtilizationSchema,
} from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
import { CLUSTER, MODEL, routeYaml, startNats } from '../endpoints/harness.js';
import { type ControlPlaneFixture, startControlPlane, waitFor } from '../helpers/control-plane.js';
import type { NatsServer } from '../helpers/nats-server.js';
import { type ModelB, startModelB } from './model-b.js';

const POD = 'pod-a';
const REVISION = 7n;
const JUNK = 2000;

function registration(sequence: bigint, port: number): Uint8Array {
  return toBinary(
    PodRegistrationSchema,
    create(PodRegistrationSchema, {
      podId: POD,
      address: '127.0.0.1',
      ports: create(PortsSchema, { grpc: port }),
      models: [create(ModelVersionSchema, { model: MODEL, version: '1', state: ModelState.READY })],
      revision: REVISION,
      sequence,
      startedAtMs: 1n,
      heartbeatIntervalMs: 200,
    }),
  );
}

function heartbeat(sequence: bigint, cpuPercent: number, errorRate = 0): Uint8Array {
  return toBinary(
    HeartbeatSchema,
    create(HeartbeatSchema, {
      podId: POD,
      sequence,
      registrationRevision: REVISION,
      intervalMs: 200,
      utilization: create(UtilizationSchema, { cpuPercent }),
      models: [
        create(ModelLoadSchema, {
          model: MODEL,
          version: '1',
          ready: true,
          window: create(LatencyWindowSchema, { requests: 500n, errorRate, p50Ms: 2, p99Ms: 5 }),
        }),
      ],
    }),
  );
}

async function rejected(adminUrl: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(
    /^switchyard_endpoint_messages_rejected_total\{[^}]*reason="SY_ENDPOINT_MESSAGE_INVALID"[^}]*\} (\d+)/gm,
  ))
    n += Number(m[1]);
  return n;
}

describe('junk signals from one pod', () => {
  let nats: NatsServer;
  let fx: ControlPlaneFixture;
  let pod: NatsConnection;
  let bee: ModelB;
  const lines: string[] = [];

  beforeAll(async () => {
    nats = await startNats([POD]);
    bee = await startModelB();
    fx = await startControlPlane(
      { 'affine.yaml': routeYaml(), 'bee.yaml': bee.yaml('b1') },
      {
        nats: { servers: nats.url, ...nats.credentials('admin'), name: 'switchyard-test-control-plane' },
        discovery: { weights: 'adaptive' },
        log: createLogger('control-plane', { level: 'warn', write: (l) => lines.push(l) }),
      },
    );
    pod = await connect({ servers: nats.url, ...nats.credentials(POD) });
    pod.publish(podSubjects(POD).register, registration(1n, 50051));
    pod.publish(podSubjects(POD).heartbeat, heartbeat(2n, 30));
    await pod.flush();
    await waitFor(
      () => (fx.cp.discovery!.routingTable().get(CLUSTER) ?? []).some((e) => e.port === 50051),
      10_000,
      'the pod in the routing table',
    );

    await bee.waitForBackend(fx.xdsAddress, 'b1');
  });

  afterAll(async () => {
    await pod?.close();
    await fx?.close();
    await bee?.close();
    await nats?.cleanup();
  });

  it('rejects and counts NaN, out-of-range and forged-sequence heartbeats; every model keeps publishing', async () => {
    const before = await rejected(fx.adminUrl);
    const hb = podSubjects(POD).heartbeat;
    pod.publish(hb, heartbeat(3n, Number.NaN));
    pod.publish(hb, heartbeat(4n, 30, Number.NaN));
    pod.publish(hb, heartbeat(5n, 1e308));
    pod.publish(hb, heartbeat(6n, -500));
    pod.publish(hb, heartbeat(2n ** 64n - 1n, 30));
    await pod.flush();
    await waitFor(async () => (await rejected(fx.adminUrl)) === before + 5, 10_000, 'five rejections');

    // A genuine heartbeat after the forged sequence still counts: the pod stays in EDS.
    pod.publish(hb, heartbeat(7n, 35));
    await pod.flush();
    await waitFor(
      () => fx.cp.discovery!.statuses().get(CLUSTER)?.[0]?.state === 'HEALTHY',
      10_000,
      'the pod healthy',
    );

    fx.write('bee.yaml', bee.yaml('b2'));
    await bee.waitForBackend(fx.xdsAddress, 'b2');
    for (const g of fx.cp.snapshotGroups()) expect(g.lastError, JSON.stringify(g)).toBeUndefined();
    const weights = (fx.cp.discovery!.routingTable().get(CLUSTER) ?? []).map((e) => e.weight);
    for (const w of weights) expect(w === undefined || (Number.isInteger(w) && w >= 1)).toBe(true);
  });

  it(`logs a flood of ${JUNK} junk heartbeats in a few lines, and counts every one`, async () => {
    const before = await rejected(fx.adminUrl);
    for (let i = 0; i < JUNK; i++)
      pod.publish(podSubjects(POD).heartbeat, heartbeat(100n + BigInt(i), Number.NaN));
    await pod.flush();
    await waitFor(
      async () => (await rejected(fx.adminUrl)) === before + JUNK,
      20_000,
      'every rejection counted',
    );
    // Over the whole suite: the first test's five and this flood, all within one interval.
    const warned = lines.filter((l) => /pod message.* rejected/.test(l));
    expect(warned.length).toBeGreaterThanOrEqual(1);
    expect(warned.length).toBeLessThanOrEqual(3);
  });
});
