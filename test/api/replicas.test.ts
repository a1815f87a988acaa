// Two control-plane replicas on one JetStream store serve identical snapshots; a proxyless gRPC
// client whose xDS server list holds both survives losing the one it is connected to.
import { create } from '@bufbuild/protobuf';
import { credentials } from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../../control-plane/pipeline/control-plane.js';
import { PredictRequestSchema } from '../../protos/gen/switchyard/demo/v1/backend_pb.js';
import { waitFor } from '../helpers/control-plane.js';
import {
  DemoBackendClient,
  type DemoBackendHandle,
  predict,
  startDemoBackend,
} from '../helpers/demo-backend.js';
import { type ApiFixture, apiKey, routeDoc, startApi } from './fixture.js';

grpcXds.register();

let fx: ApiFixture;
let b: ControlPlane;
let v1: DemoBackendHandle;
let v2: DemoBackendHandle;

beforeAll(async () => {
  v1 = await startDemoBackend('v1');
  v2 = await startDemoBackend('v2');
  fx = await startApi();
  b = await fx.startReplica();
});
afterAll(async () => {
  await fx?.close();
  await Promise.all([v1?.close(), v2?.close()]);
});

const versions = (cp: ControlPlane) =>
  cp
    .snapshotGroups()
    .map((g) => `${g.group}:${g.version}`)
    .sort();

describe('control-plane replicas', () => {
  it('serve identical versions, and a client moves from a killed replica with zero failed RPCs', async () => {
    const r = await fx.call(
      'POST',
      '/api/v1/policies',
      { document: routeDoc('ha', 'default', 50, [v1.port, v2.port]) },
      apiKey(fx.keys['admin-all']),
    );
    expect(r.status).toBe(201);
    await waitFor(
      () => [fx.cp, b].every((cp) => cp.storedPolicies().some((p) => p.name === 'ha')),
      5000,
      'both replicas to see the policy',
    );
    fx.cp.flush();
    b.flush();
    expect(versions(fx.cp)).toEqual(versions(b));

    // The xDS server list names both replicas; pick_first uses A until it goes away.
    const bootstrap = JSON.stringify({
      xds_servers: [
        {
          server_uri: `ipv4:127.0.0.1:${fx.cp.xdsPort},127.0.0.1:${b.xdsPort}`,
          channel_creds: [{ type: 'insecure' }],
          server_features: ['xds_v3'],
        },
      ],
      node: { id: 'ha-client', cluster: 'test', locality: {} },
    });
    const client = new DemoBackendClient('xds:///ha', credentials.createInsecure(), {
      'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config': bootstrap,
    });
    const req = create(PredictRequestSchema, { model: 'ha' });
    let ok = 0;
    let failed = 0;
    let stop = false;
    const workers = Array.from({ length: 4 }, async () => {
      while (!stop) {
        try {
          await predict(client, req);
          ok++;
        } catch {
          failed++;
        }
      }
    });
    try {
      await waitFor(() => ok > 100, 10_000, 'traffic through replica A');
      const TYPES = ['LDS', 'RDS', 'CDS', 'EDS'];
      await waitFor(
        () => {
          const p = fx.cp.proxies.list().find((x) => x.nodeId === 'ha-client');
          return !!p && TYPES.every((t) => p.types[t]?.acked && p.types[t]?.acked === p.types[t]?.sent);
        },
        20_000,
        'the client to ACK everything replica A sent',
      );
      const aStatus = fx.cp.proxies.list().find((x) => x.nodeId === 'ha-client')!;
      const aVersions = Object.fromEntries(TYPES.map((t) => [t, aStatus.types[t]!.acked]));
      const killedAt = performance.now();
      const okBefore = ok;
      await fx.cp.stop();
      await waitFor(
        () => {
          const p = b.proxies.list().find((x) => x.nodeId === 'ha-client');
          return (
            !!p &&
            ['LDS', 'RDS', 'CDS', 'EDS'].every(
              (t) => p.types[t]?.acked && p.types[t]?.acked === p.types[t]?.sent,
            )
          );
        },
        20_000,
        'the client to resync with replica B',
      );
      const failoverMs = performance.now() - killedAt;
      const bStatus = b.proxies.list().find((x) => x.nodeId === 'ha-client')!;
      // What B sent is exactly what A had: the same versions.
      expect(Object.fromEntries(TYPES.map((t) => [t, bStatus.types[t]?.sent]))).toEqual(aVersions);
      await waitFor(() => ok > okBefore + 200, 10_000, 'traffic after the failover');
      stop = true;
      await Promise.all(workers);
      process.stdout.write(
        `[replicas] failover: client resynced with replica B ${failoverMs.toFixed(0)} ms after A stopped; ${ok} RPCs ok, ${failed} failed\n`,
      );
      expect(failed).toBe(0);
    } finally {
      stop = true;
      client.close();
    }
  });
});
