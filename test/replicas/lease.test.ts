// The leader lease on a real nats-server: one holder among several replicas, takeover with the
// next fencing token once the holder stops renewing, a renewal whose answer was lost kept, and a
// stale holder's writes refused both by the lease check and by the fence stored with the CA state.
import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEADER_GROUP, Lease, openLeaseBucket } from '../../control-plane/lease/index.js';
import { leaseFence } from '../../control-plane/pipeline/replica-state.js';
import {
  CertificateAuthority,
  JetStreamCaStore,
  KeyEncryptionKey,
  openCaBucket,
  ReplicatedCa,
} from '../../control-plane/pki/index.js';
import { NatsServer } from '../helpers/nats-server.js';

/** Polls `cond` every 20 ms; returns when it holds, throws after `ms`. */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('leader lease in a JetStream KV bucket', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  const leases: Lease[] = [];
  beforeAll(async () => {
    nats = await NatsServer.start();
    nc = await connect(nats.connectOptions());
  });
  afterAll(async () => {
    for (const l of leases) await l.stop({ release: false }).catch(() => undefined);
    await nc?.close();
    await nats?.cleanup();
  });

  const lease = (kv: Awaited<ReturnType<typeof openLeaseBucket>>, holder: string, ttlMs: number) => {
    const l = new Lease({ kv, group: LEADER_GROUP, holder, ttlMs });
    leases.push(l);
    return l;
  };

  it('elects one of three replicas, and one other within the TTL once it stops renewing', async () => {
    const kv = await openLeaseBucket(nc, { prefix: 'lease_t1' });
    const ttl = 1500;
    const three = ['a', 'b', 'c'].map((h) => lease(kv, h, ttl));
    await Promise.all(three.map((l) => l.start()));
    const held = three.filter((l) => l.isHeld());
    expect(held).toHaveLength(1);
    const leader = held[0]!;
    const first = leader.token();
    await until(() => three.every((l) => l.status().leader === leader.holder), 5000, 'all see the leader');
    expect(three.every((l) => l.isLeaseKnown())).toBe(true);

    // A crash: no more renewals, no release.
    const stoppedAt = Date.now();
    await leader.stop({ release: false });
    const expiry = Date.parse(leader.status().expiresAt!);
    const rest = three.filter((l) => l !== leader);
    let most = 0;
    await until(
      () => {
        const n = rest.filter((l) => l.isHeld()).length;
        most = Math.max(most, n);
        return n > 0;
      },
      ttl * 4,
      'a new leader',
    );
    const tookOverAt = Date.now();
    const gap = tookOverAt - stoppedAt;
    const next = rest.find((l) => l.isHeld())!;
    process.stdout.write(
      `lease takeover ${gap} ms after the leader stopped, ${tookOverAt - expiry} ms after its term ended (TTL ${ttl} ms)\n`,
    );
    // Never before the old term ends; then within one follower read (ttl / 3) plus slack.
    expect(tookOverAt).toBeGreaterThanOrEqual(expiry);
    expect(tookOverAt - expiry).toBeLessThan(ttl / 3 + 1000);
    expect(gap).toBeLessThan(ttl + ttl / 3 + 1500);
    expect(most).toBe(1);
    expect(next.token()).toBe(first + 1);
    await until(() => rest.filter((l) => l.isHeld()).length === 1, 1000, 'one leader');
  });

  it('keeps the lease when a renewal landed but its answer was lost', async () => {
    const kv = await openLeaseBucket(nc, { prefix: 'lease_t3' });
    // The first renewal is written, then its answer "lost", as with a NATS node that dies
    // between the write and the reply: the lease sends it again, and that compare-and-set fails
    // on the very record the first one stored.
    let renewals = 0;
    const lossy = Object.assign(Object.create(kv) as typeof kv, {
      update: async (key: string, data: Uint8Array, version: number) => {
        const revision = await kv.update(key, data, version);
        if (renewals++ === 0) throw new Error('TIMEOUT');
        return revision;
      },
    });
    const l = lease(lossy, 'r1', 1500);
    const changes: boolean[] = [];
    l.onChange((held) => changes.push(held));
    await l.start();
    expect(l.isHeld()).toBe(true);
    const token = l.token();
    await until(() => renewals >= 4, 10_000, 'three renewals after the lost one');
    expect(l.isHeld()).toBe(true);
    expect(l.token()).toBe(token);
    // Never let go in between: taken for another replica's write, the first renewal made it
    // drop the lease and take it again.
    expect(changes).toEqual([true]);
  });

  it("refuses a stale leader's singleton writes: at the lease and at the CA state's fence", async () => {
    const kv = await openLeaseBucket(nc, { prefix: 'lease_t2' });
    const a = lease(kv, 'a', 800);
    await a.start();
    const stale = a.token();
    await a.stop({ release: false }); // paused, say, and unaware of it
    const b = lease(kv, 'b', 800);
    await b.start();
    await until(() => b.isHeld(), 5000, 'b leads');
    expect(b.token()).toBe(stale + 1);
    await expect(a.checkFence(stale)).rejects.toMatchObject({ code: 'SY_LEASE_FENCED' });
    expect(() => a.token()).toThrow(/does not hold the lease/);

    const caKv = await openCaBucket(nc, { prefix: 'lease_t2' });
    const kek = KeyEncryptionKey.fromKeyBytes(randomBytes(32));
    await CertificateAuthority.create({ trustDomain: 'example.org', store: new JetStreamCaStore(caKv, kek) });
    const onB = await ReplicatedCa.open({ kv: caKv, kek, fence: leaseFence(b) });
    const rotated = await onB.authority.rotate();
    const afterB = (await onB.store.read())!;
    expect(afterB.state.fence).toBe(b.token());

    // A writer that still believes in its old token, checking nothing but the stored fence.
    const believer = await ReplicatedCa.open({ kv: caKv, kek, fence: async () => stale });
    await expect(believer.authority.rotate()).rejects.toMatchObject({ code: 'SY_LEASE_FENCED' });
    // The same replica through its lease is refused before it writes anything.
    const throughLease = await ReplicatedCa.open({ kv: caKv, kek, fence: leaseFence(a) });
    await expect(throughLease.authority.prepareRotation()).rejects.toMatchObject({ code: 'SY_LEASE_FENCED' });
    const now = (await onB.store.read())!;
    expect(now.revision).toBe(afterB.revision);
    expect(now.state.generations.find((g) => g.state === 'active')!.id).toBe(rotated);
    // The refused replica goes back to what the store holds.
    await believer.reload();
    expect(believer.authority.activeGeneration().id).toBe(rotated);
  });
});
