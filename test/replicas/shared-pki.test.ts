// The PKI's JetStream stores on a real nats-server, without control planes: a token taken by
// many redeemers at once goes to exactly one, and replicas seeding an empty CA bucket from their
// directories at once end up with one CA, the same on all.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BootstrapTokens,
  hashToken,
  JetStreamTokenStore,
  KeyEncryptionKey,
  openCaBucket,
  openTokenBucket,
  ReplicatedCa,
  seedFromFileCa,
} from '../../control-plane/pki/index.js';
import { NatsServer } from '../helpers/nats-server.js';
import { seedCa, TD } from './helpers.js';

describe('PKI stores in JetStream', () => {
  let nats: NatsServer;
  let ncs: NatsConnection[];
  let tmp: string;
  beforeAll(async () => {
    nats = await NatsServer.start();
    // One connection per "replica": their requests race on the server, not in one client.
    ncs = await Promise.all([0, 1, 2, 3].map(() => connect(nats.connectOptions())));
    tmp = await mkdtemp(join(tmpdir(), 'sy-shared-pki-'));
  });
  afterAll(async () => {
    for (const nc of ncs ?? []) await nc.close();
    await nats?.cleanup();
    await rm(tmp, { recursive: true, force: true });
  });

  it('spends a token once among eight concurrent redeemers on four connections', async () => {
    const stores = await Promise.all(
      ncs.map(async (nc) => new JetStreamTokenStore(await openTokenBucket(nc))),
    );
    const tokens = stores.map((s) => new BootstrapTokens(s, TD));
    const { token } = await tokens[0]!.create(`spiffe://${TD}/ns/default/sa/web`);
    const outcomes = await Promise.allSettled([...tokens, ...tokens].map((t) => t.redeem(token)));
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect((won[0] as PromiseFulfilledResult<string>).value).toBe(`spiffe://${TD}/ns/default/sa/web`);
    for (const o of outcomes.filter((x) => x.status === 'rejected'))
      expect((o as PromiseRejectedResult).reason).toMatchObject({ code: 'SY_PKI_UNAUTHENTICATED' });
    // Only the hash is stored, and it is gone.
    expect(await stores[1]!.take(hashToken(token))).toBeUndefined();
    await expect(stores[0]!.put('a'.repeat(64), { identity: 'x', expiresAt: 0 })).resolves.toBeUndefined();
    await expect(stores[1]!.put('a'.repeat(64), { identity: 'y', expiresAt: 0 })).rejects.toThrow();
    // Unredeemed tokens leave with the bucket's max age, so none may be made to outlive it.
    await expect(
      tokens[0]!.create(`spiffe://${TD}/ns/default/sa/web`, 31 * 86_400_000),
    ).rejects.toMatchObject({
      code: 'SY_OPTION_INVALID',
    });
  });

  it("refuses a CA write from a replica that missed another's step, until it reloads", async () => {
    const { caDir, kekFile } = await seedCa(join(tmp, 'cas'));
    const kek = KeyEncryptionKey.fromFile(kekFile);
    const [kvA, kvB] = await Promise.all(ncs.slice(0, 2).map((nc) => openCaBucket(nc, { prefix: 'cas' })));
    expect(await seedFromFileCa(kvA!, kek, caDir)).toBe(true);
    const a = await ReplicatedCa.open({ kv: kvA!, kek });
    const b = await ReplicatedCa.open({ kv: kvB!, kek }); // not watching: it will not hear of a's step
    const next = await a.authority.rotate();
    await expect(b.authority.prepareRotation()).rejects.toMatchObject({
      code: 'SY_PKI_CA_INVALID',
      message: expect.stringMatching(/changed on another replica/),
    });
    // The refused step stays out of the store; reloading gives b what a wrote, and b can go on.
    expect((await a.store.read())!.state.generations.map((g) => g.id)).toEqual(
      a.authority.generations().map((g) => g.id),
    );
    await b.reload();
    expect(b.authority.activeGeneration().id).toBe(next);
    expect(b.authority.generations()).toHaveLength(2);
    const third = await b.authority.rotate();
    await a.reload();
    expect(a.authority.activeGeneration().id).toBe(third);
  });

  it('keeps a CA step, a seed and a token whose write landed but whose answer was lost', async () => {
    // Each first write lands, then its answer is "lost", as with a NATS node that dies between
    // the write and the reply: the store sends it again, and that compare-and-set fails on the
    // very bytes the first one stored.
    const lossy = <T extends object>(kv: T, methods: readonly ('create' | 'update')[]) => {
      const lost = new Set<string>();
      const out = Object.create(kv) as T;
      for (const m of methods)
        Object.assign(out, {
          [m]: async (...args: unknown[]) => {
            const revision = await (kv as Record<string, (...a: unknown[]) => Promise<number>>)[m]!(...args);
            if (!lost.has(m)) {
              lost.add(m);
              throw new Error('TIMEOUT');
            }
            return revision;
          },
        });
      return out;
    };
    const { caDir, kekFile } = await seedCa(join(tmp, 'lost'));
    const kek = KeyEncryptionKey.fromFile(kekFile);
    const kv = lossy(await openCaBucket(ncs[0]!, { prefix: 'lost' }), ['create', 'update']);
    expect(await seedFromFileCa(kv, kek, caDir)).toBe(true);
    const ca = await ReplicatedCa.open({ kv, kek });
    const next = await ca.authority.rotate();
    const stored = (await ca.store.read())!;
    expect(stored.state.generations.find((g) => g.state === 'active')!.id).toBe(next);
    // The step after it compares against the revision the lost answer would have given.
    const third = await ca.authority.rotate();
    expect((await ca.store.read())!.state.generations.find((g) => g.state === 'active')!.id).toBe(third);

    const tokens = new BootstrapTokens(
      new JetStreamTokenStore(lossy(await openTokenBucket(ncs[1]!), ['create'])),
      TD,
    );
    const { token } = await tokens.create(`spiffe://${TD}/ns/default/sa/lost`);
    await expect(tokens.redeem(token)).resolves.toBe(`spiffe://${TD}/ns/default/sa/lost`);
  });

  it('says so when a tool opens a CA or token bucket that no control plane created', async () => {
    for (const open of [openCaBucket, openTokenBucket])
      await expect(open(ncs[2]!, { prefix: 'never', existing: true })).rejects.toMatchObject({
        code: 'SY_STORE',
        message: expect.stringMatching(/^cannot open KV bucket never_(ca|tokens): it does not exist/),
      });
  });

  it('seeds an empty CA bucket once when replicas start together, each from its own directory', async () => {
    const seeds = await Promise.all(ncs.map((_, i) => seedCa(join(tmp, `r${i}`))));
    // Four different CAs (one per directory, as a misconfiguration would have it): one wins.
    const kvs = await Promise.all(ncs.map((nc) => openCaBucket(nc, { prefix: 'seedrace' })));
    const keks = seeds.map((s) => KeyEncryptionKey.fromFile(s.kekFile));
    const won = await Promise.all(kvs.map((kv, i) => seedFromFileCa(kv, keks[i]!, seeds[i]!.caDir)));
    expect(won.filter(Boolean)).toHaveLength(1);
    const w = won.indexOf(true);
    // Every replica that holds the winner's KEK opens the same CA.
    const opened = await Promise.all(kvs.map((kv) => ReplicatedCa.open({ kv, kek: keks[w]! })));
    const bundles = new Set(opened.map((o) => o.authority.trustBundle().pem));
    expect(bundles.size).toBe(1);
    expect([...bundles][0]).toBe(seeds[w]!.bundle);
    // Another KEK cannot open it: the bucket alone unseals nothing.
    const other = (w + 1) % keks.length;
    await expect(ReplicatedCa.open({ kv: kvs[other]!, kek: keks[other]! })).rejects.toMatchObject({
      code: 'SY_PKI_KEY_DECRYPT',
    });
  });
});
