// The policy store on a real nats-server with JetStream: revisions, compare-and-set under
// concurrency, history, watch, and durability across a NATS restart.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyRecord, StoredPolicy } from '../../control-plane/store/policy-record.js';
import { PolicyStore } from '../../control-plane/store/policy-store.js';
import { createLogger } from '../../kernel/log/index.js';
import { NatsServer } from '../helpers/nats-server.js';

let nats: NatsServer;
let nc: NatsConnection;
let store: PolicyStore;
const log = createLogger('test', { level: 'silent' });

const doc = (model: string, w1: number) => ({
  apiVersion: 'switchyard.dev/v1alpha1',
  kind: 'ModelRoute',
  metadata: { name: model, namespace: 'default' },
  spec: {
    model,
    versions: [
      { name: 'v1', weight: w1, endpoints: [{ address: '127.0.0.1', port: 9001 }] },
      { name: 'v2', weight: 100 - w1, endpoints: [{ address: '127.0.0.1', port: 9002 }] },
    ],
  },
});
const record = (model: string, w1: number, by = 'test'): PolicyRecord => ({
  document: doc(model, w1),
  appliedBy: by,
  appliedAt: new Date().toISOString(),
  source: 'api',
});

beforeAll(async () => {
  nats = await NatsServer.start();
  nc = await connect({ ...nats.connectOptions(), maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  store = await PolicyStore.open(nc, log);
});
afterAll(async () => {
  await nc?.close();
  await nats?.cleanup();
});

describe('PolicyStore', () => {
  it('creates, updates with compare-and-set, and refuses stale writers', async () => {
    const r1 = await store.put('default', 'a', record('a', 90), 0);
    await expect(store.put('default', 'a', record('a', 80), 0)).rejects.toMatchObject({
      code: 'SY_POLICY_CONFLICT',
    });
    const r2 = await store.put('default', 'a', record('a', 80), r1);
    expect(r2).toBeGreaterThan(r1);
    await expect(store.put('default', 'a', record('a', 70), r1)).rejects.toThrow(/changed since revision/);
    const got = await store.get('default', 'a');
    expect(got?.revision).toBe(r2);
    expect(got?.route.spec.versions[0]?.weight).toBe(80);
  });

  it('lets each of 20 concurrent writers land as its own revision or get a conflict, none lost', async () => {
    const base = await store.put('default', 'race', record('race', 50), 0);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, async (_, i) => {
        // Each writer reads, then writes based on what it read (as the API does).
        const current = await store.currentRevision('default', 'race');
        return store.put('default', 'race', record('race', i, `writer-${i}`), current);
      }),
    );
    const landed = results
      .filter((r) => r.status === 'fulfilled')
      .map((r) => (r as PromiseFulfilledResult<number>).value);
    const conflicts = results.filter((r) => r.status === 'rejected');
    expect(landed.length + conflicts.length).toBe(20);
    expect(landed.length).toBeGreaterThanOrEqual(1);
    for (const c of conflicts) expect((c as PromiseRejectedResult).reason.code).toBe('SY_POLICY_CONFLICT');
    const history = await store.history('default', 'race');
    const writers = history.filter((h) => h.revision > base).map((h) => h.revision);
    expect(writers.sort((a, b) => a - b)).toEqual([...landed].sort((a, b) => a - b));
    expect(new Set(landed).size).toBe(landed.length);
  });

  it('keeps history with deletes and returns the document of any kept revision', async () => {
    const r1 = await store.put('default', 'h', record('h', 10), 0);
    const r2 = await store.put('default', 'h', record('h', 20), r1);
    await store.delete('default', 'h', r2);
    expect(await store.get('default', 'h')).toBeUndefined();
    const h = await store.history('default', 'h');
    expect(h.map((x) => x.operation)).toEqual(['PUT', 'PUT', 'DEL']);
    expect(
      ((await store.revision('default', 'h', r1)).document as ReturnType<typeof doc>).spec.versions[0]!
        .weight,
    ).toBe(10);
    await expect(store.revision('default', 'h', 999_999)).rejects.toMatchObject({ code: 'SY_NOT_FOUND' });
    const r4 = await store.put('default', 'h', record('h', 30), 0); // re-create after delete
    expect(r4).toBeGreaterThan(r2);
  });

  it('watches: the initial set, then every change', async () => {
    const seen: StoredPolicy[][] = [];
    const stop = await store.watch((all) => seen.push(all));
    expect(seen.length).toBe(1);
    const before = seen[0]!.length;
    const r = await store.put('default', 'w', record('w', 40), 0);
    const deadline = Date.now() + 5000;
    while (!seen.at(-1)!.some((p) => p.name === 'w') && Date.now() < deadline)
      await new Promise((x) => setTimeout(x, 10));
    expect(seen.at(-1)!.length).toBe(before + 1);
    expect(seen.at(-1)!.find((p) => p.name === 'w')?.revision).toBe(r);
    stop();
  });

  it('watches: an unchanged policy keeps its parsed route object, a changed one gets a new one', async () => {
    const ra = await store.put('default', 'keep', record('keep', 70), 0);
    const rb = await store.put('default', 'moves', record('moves', 70), 0);
    const seen: StoredPolicy[][] = [];
    const stop = await store.watch((all) => seen.push(all));
    const find = (all: StoredPolicy[], name: string) => all.find((p) => p.name === name)!;
    const first = seen.at(-1)!;
    const rb2 = await store.put('default', 'moves', record('moves', 60), rb);
    const deadline = Date.now() + 5000;
    while (find(seen.at(-1)!, 'moves').revision !== rb2 && Date.now() < deadline)
      await new Promise((x) => setTimeout(x, 10));
    const after = seen.at(-1)!;
    stop();
    expect(find(after, 'keep').revision).toBe(ra);
    // Identity, not equality: the translator memoizes on the route object.
    expect(find(after, 'keep').route).toBe(find(first, 'keep').route);
    expect(find(after, 'moves').revision).toBe(rb2);
    expect(find(after, 'moves').route).not.toBe(find(first, 'moves').route);
    expect(find(after, 'moves').route.spec.versions[0]?.weight).toBe(60);
  });

  it('loses no revision across a NATS restart', async () => {
    const r1 = await store.put('default', 'durable', record('durable', 60), 0);
    const r2 = await store.put('default', 'durable', record('durable', 61), r1);
    await nats.restart();
    const deadline = Date.now() + 15_000;
    let history: Awaited<ReturnType<PolicyStore['history']>> = [];
    while (Date.now() < deadline) {
      try {
        history = await store.history('default', 'durable');
        break;
      } catch {
        await new Promise((x) => setTimeout(x, 100));
      }
    }
    expect(history.map((h) => h.revision)).toEqual([r1, r2]);
    const r3 = await store.put('default', 'durable', record('durable', 62), r2);
    expect(r3).toBeGreaterThan(r2);
  });
});
