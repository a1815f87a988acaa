// Placement has one decision maker: two `switchyard control-plane` processes on one nats-server,
// a registry-backed ModelRoute in their policy directory, three fake managed pods. The leader
// places; after a SIGKILL of the leader process the other replica takes the lease and publishes
// the same assignments to the pods.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeLease, LEADER_GROUP, leaseBucketName } from '../../control-plane/lease/index.js';
import { NatsServer } from '../helpers/nats-server.js';
import { type ReplicaProcess, startReplica } from '../replicas/helpers.js';
import { FakeManagedPod } from './fake-pods.js';

async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ROUTE = `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: fraud }
spec:
  model: fraud
  versions:
    - { name: v2, model: { registry: "fraud:2" }, replicas: { min: 2, max: 3 } }
`;

describe('placement failover between control-plane processes', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let tmp: string;
  const replicas: ReplicaProcess[] = [];
  const pods: FakeManagedPod[] = [];

  beforeAll(async () => {
    nats = await NatsServer.start();
    nc = await connect(nats.connectOptions());
    tmp = await mkdtemp(join(tmpdir(), 'sy-placement-'));
    const dir = join(tmp, 'policies');
    await mkdir(dir);
    await writeFile(join(dir, 'fraud.yaml'), ROUTE);
    const models = await new Kvm(jetstream(nc)).create('switchyard_models', { history: 1 });
    await models.put(
      'fraud.2',
      JSON.stringify({
        name: 'fraud',
        version: '2',
        digest: `sha256:${'cd'.repeat(32)}`,
        sizeBytes: 1_000_000,
        objectName: 'fraud/2',
        sealedDataKey: 'sealed',
        regions: [],
      }),
    );
    const args = ['--policy-dir', dir, '--lease-ttl', '3000ms'];
    replicas.push(await startReplica(nats, 'r1', args));
    replicas.push(await startReplica(nats, 'r2', args));
  }, 120_000);
  afterAll(async () => {
    for (const r of replicas) r.proc.kill();
    await Promise.all(replicas.map((r) => r.proc.exited));
    for (const p of pods) await p.crash().catch(() => undefined);
    await nc?.close();
    await nats?.cleanup();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('the other replica publishes the same assignments after a SIGKILL of the leader', async () => {
    pods.push(
      ...(await Promise.all(
        ['a', 'b', 'c'].map((z) => FakeManagedPod.start(nats, { podId: `fo-${z}`, zone: z })),
      )),
    );
    await until(
      () => pods.filter((p) => p.assigned.includes('fraud:2')).length === 2,
      30_000,
      'two pods assigned',
    ).catch((e) => {
      for (const r of replicas) console.log(r.name, r.proc.stderr.slice(-6000));
      throw e;
    });
    const before = pods.map((p) => p.assigned);

    const leaseKv = await new Kvm(jetstream(nc)).open(leaseBucketName());
    const holder = async () => {
      const e = await leaseKv.get(LEADER_GROUP);
      return e?.value.length ? decodeLease(e.value).holder : '';
    };
    const leaderName = await holder();
    const leader = replicas.find((r) => r.name === leaderName)!;
    expect(leader, `lease holder ${leaderName}`).toBeDefined();

    leader.proc.kill();
    await leader.proc.exited;
    const killedAt = Date.now();
    const counts = pods.map((p) => p.received.length);
    await until(
      () => pods.every((p, i) => p.received.length > counts[i]!),
      30_000,
      'the new leader publishes',
    );
    const took = Date.now() - killedAt;
    console.log(`assignments from the new leader ${took} ms after SIGKILL of ${leaderName}`);
    expect(pods.map((p) => p.assigned)).toEqual(before);
    expect(await holder()).not.toBe(leaderName);
  }, 120_000);
});
