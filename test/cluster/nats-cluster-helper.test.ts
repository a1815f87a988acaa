// The 3-node cluster helper itself: leaders can be placed by step-downs, R3 state survives
// SIGKILL of the meta leader, and the cluster elects another.
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsCluster } from '../helpers/nats-cluster.js';

let cluster: NatsCluster;
beforeAll(async () => {
  cluster = await NatsCluster.start();
}, 90_000);
afterAll(async () => {
  await cluster?.cleanup();
});

describe('NatsCluster', () => {
  it('places the meta leader on a node and moves the leadership of streams off it', async () => {
    const nc = await connect(cluster.connectOptions());
    try {
      await new Kvm(jetstream(nc, { timeout: 10_000 })).create('helper_arrange', { replicas: 3 });
      const stream = 'KV_helper_arrange';
      // The stream's leader: it has to give that up, and become (or stay) the meta leader.
      const node = await cluster.streamLeader(stream);
      await cluster.arrangeLeaders(node, [stream]);
      expect(await cluster.metaLeader()).toBe(node);
      expect(await cluster.streamLeader(stream)).not.toBe(node);
    } finally {
      await nc.close();
    }
  }, 120_000);

  it('runs three JetStream nodes with routes: an R3 bucket outlives its meta leader', async () => {
    const nc = await connect({
      ...cluster.connectOptions(),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 100,
    });
    try {
      const kv = await new Kvm(jetstream(nc, { timeout: 5000 })).create('helper_check', { replicas: 3 });
      const rev = await kv.put('k', 'v1');
      const si = await jetstream(nc)
        .jetstreamManager()
        .then((m) => m.streams.info('KV_helper_check'));
      expect(si.cluster?.replicas?.length).toBe(2);
      const leader = await cluster.metaLeader();
      await leader.kill();
      const next = await cluster.waitForMetaLeader(30_000, leader);
      expect(next).not.toBe(leader);
      const e = await kv.get('k');
      expect(e?.revision).toBe(rev);
      expect(e?.string()).toBe('v1');
      // An unauthenticated client is refused on every node: no default account.
      await expect(connect({ servers: next.url, reconnect: false })).rejects.toThrow(/authorization/i);
    } finally {
      await nc.close();
    }
  }, 120_000);
});
