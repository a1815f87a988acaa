// Two control-plane processes on one JetStream cluster, behind one xDS target: the client's
// bootstrap names a single server_uri that lists both replicas (`ipv4:` here; a headless
// Service's DNS name in Kubernetes), and pick_first holds the stream on one. grpc-js-xds uses
// only the first xds_servers entry (no gRFC A71 fallback in 1.14), so a second entry would not
// be a failover path. SIGKILL the replica the client is on: no RPC fails, and the other replica
// has the client in sync, at the very versions it had, within 2 s.
import * as grpcXds from '@grpc/grpc-js-xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoBackendHandle, startDemoBackend } from '../helpers/demo-backend.js';
import { NatsCluster } from '../helpers/nats-cluster.js';
import {
  api,
  type ControlPlaneProcess,
  ProxylessTraffic,
  routeDocument,
  startControlPlaneProcess,
  timeUntil,
} from './harness.js';
import { killReplica, sentVersions } from './scenarios.js';

grpcXds.register();

let cluster: NatsCluster;
let a: ControlPlaneProcess;
let b: ControlPlaneProcess;
let v1: DemoBackendHandle;
let v2: DemoBackendHandle;

beforeAll(async () => {
  [cluster, v1, v2] = await Promise.all([
    NatsCluster.start(),
    startDemoBackend('v1'),
    startDemoBackend('v2'),
  ]);
  // One after the other: the first creates the R3 buckets, the second opens them. Two creating
  // them at once on a cluster that has just formed can time out on a loaded machine.
  const t0 = performance.now();
  a = await startControlPlaneProcess(cluster);
  const t1 = performance.now();
  b = await startControlPlaneProcess(cluster);
  process.stdout.write(
    `[cluster] replicas ready in ${(t1 - t0).toFixed(0)} ms and ${(performance.now() - t1).toFixed(0)} ms\n`,
  );
  // Outlasts the deadlines inside (the meta leader 60 s, each ready line 90 s), so a slow start
  // fails naming what it waited for: the whole hook took 114 s at load average 10 on two cores.
}, 270_000);
afterAll(async () => {
  await Promise.all([a?.kill(), b?.kill()]);
  await Promise.all([cluster?.cleanup(), v1?.close(), v2?.close()]);
});

describe('control-plane replicas as processes', () => {
  it('SIGKILL of the replica a grpc-js-xds client uses: 0 failed RPCs, in sync on the other within 2 s', async () => {
    const doc = routeDocument('ha', 50, [v1.port, v2.port]);
    expect((await api(a.adminUrl, 'POST', '/api/v1/policies', { document: doc })).status).toBe(201);
    // Both replicas serve it before the client starts (each from its own watch of the store).
    await timeUntil(
      async () =>
        (await Promise.all([a, b].map((cp) => api(cp.adminUrl, 'GET', '/api/v1/snapshots')))).every((r) =>
          JSON.stringify(r.json).includes('ha'),
        ),
      30_000,
      'both replicas to publish the policy',
    );
    const traffic = new ProxylessTraffic(
      `ipv4:127.0.0.1:${a.xdsPort},127.0.0.1:${b.xdsPort}`,
      'replica-client',
      'ha',
    );
    try {
      await timeUntil(() => traffic.ok > 100, 30_000, 'traffic through replica A');
      expect(await sentVersions(b, 'replica-client')).toBeUndefined();
      const r = await killReplica(a, b, 'replica-client');
      const okAfter = traffic.ok;
      await timeUntil(() => traffic.ok > okAfter + 200, 30_000, 'traffic after the failover');
      await traffic.stop();
      process.stdout.write(
        `[cluster] replica failover: client in sync with B ${r.resyncMs.toFixed(0)} ms after SIGKILL of A; RPCs ${traffic.ok} ok, ${traffic.failed} failed\n`,
      );
      expect(traffic.failed, traffic.lastError).toBe(0);
      // B sent exactly the versions A had: snapshots are the same on every replica.
      expect(r.after).toEqual(r.before);
      expect(r.resyncMs).toBeLessThan(2000);
    } finally {
      await traffic.stop();
    }
  }, 180_000);
});
