// `switchyard pod --xds-server` as its own process, discovered over a real nats-server: the pod
// registers, the control plane derives its server Listener from the registration (no static
// endpoint anywhere), and the pod serves only once that Listener arrived. An identity rule added
// to the policy then refuses the plaintext proxyless client (a peer without a certificate
// matches no identity) with PERMISSION_DENIED, and removing it lets the client in again, all in
// the same process. The pod process sets grpc-js-xds's RBAC switch itself.
import type { ChildProcess } from 'node:child_process';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  affineRepo,
  type ModelRepo,
  routeYaml,
  spawnPod,
  startDiscoveryPlane,
  startNats,
} from '../endpoints/harness.js';
import type { ControlPlaneFixture } from '../helpers/control-plane.js';
import { waitFor } from '../helpers/control-plane.js';
import type { NatsServer } from '../helpers/nats-server.js';
import { inferAffine, type Outcome, serverLive, xdsKServeClient } from './xds-pod-client.js';

const POD_ID = 'xds-managed-1';
const ALICE = 'spiffe://switchyard.local/ns/apps/sa/alice';

let nats: NatsServer;
let repo: ModelRepo;
let f: ControlPlaneFixture;
let pod: { child: ChildProcess; grpcPort: number; stderr: () => string };
const closers: Array<{ close(): void }> = [];

const code = (o: Outcome) => (o.ok ? 'OK' : o.code);
const lines = (re: RegExp) =>
  pod
    .stderr()
    .split('\n')
    .filter((l) => re.test(l));

beforeAll(async () => {
  nats = await startNats([POD_ID]);
  repo = await affineRepo();
  f = await startDiscoveryPlane(nats);
  pod = await spawnPod(nats, repo, POD_ID, ['--xds-server', f.xdsAddress]);
  await waitFor(
    () => lines(/xDS-managed gRPC: serving/).length > 0 || pod.child.exitCode !== null,
    45_000,
    'the pod to serve once its Listener arrived',
  );
  expect(pod.child.exitCode, pod.stderr()).toBeNull();
});

afterAll(async () => {
  for (const c of closers) c.close();
  if (pod?.child.exitCode === null) {
    const exited = new Promise((r) => pod.child.once('exit', r));
    pod.child.kill('SIGTERM');
    await exited;
  }
  await f?.close();
  await nats?.cleanup();
  await repo?.cleanup();
});

describe('switchyard pod --xds-server, discovered over NATS', () => {
  it('waits for its Listener, then serves proxyless clients', async () => {
    expect(lines(/xDS-managed gRPC: waiting for its Listener/)).toHaveLength(1);
    expect(lines(/xDS-managed gRPC: waiting/)[0]).toContain(`127.0.0.1:${pod.grpcPort}`);
    const c = xdsKServeClient(f.xdsAddress, 'affine', `grpc-xds-process-${process.pid}-1`);
    closers.push(c);
    expect(await inferAffine(c)).toEqual([3, 5, 7, 9, 11, 13]);
  });

  it('takes an identity rule and its removal without a restart', async () => {
    const c = xdsKServeClient(f.xdsAddress, 'affine', `grpc-xds-process-${process.pid}-2`);
    closers.push(c);
    expect(code(await serverLive(c))).toBe('OK');
    const pid = pod.child.pid;
    f.write('affine.yaml', routeYaml(`  access:\n    identities: [${ALICE}]`));
    await waitFor(
      async () => code(await serverLive(c, 2000)) === status.PERMISSION_DENIED,
      15_000,
      'the plaintext client to be refused',
    );
    f.write('affine.yaml', routeYaml());
    await waitFor(async () => code(await serverLive(c, 2000)) === 'OK', 15_000, 'the client served again');
    expect(pod.child.pid).toBe(pid);
    expect(pod.child.exitCode).toBeNull();
    // Serving all along: one transition to serving, none to not serving.
    expect(lines(/xDS-managed gRPC: serving/)).toHaveLength(1);
    expect(lines(/xDS-managed gRPC: not serving/)).toHaveLength(0);
  });
});
