// The KV watch guard on a real nats-server: a watch whose consumer disappears (as when its NATS
// node dies; here the consumer is deleted under it) is restarted from the next revision within
// about two checks, nothing is delivered twice or out of order, and a watch of one key is not
// restarted by writes to other keys (docs/OPERATIONS.md, "Failover timings").
import { jetstreamManager } from '@nats-io/jetstream';
import { type KV, type KvEntry, Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KvWatch } from '../../control-plane/store/kv-watch.js';
import { memoryLogger } from '../../kernel/log/index.js';
import { NatsServer } from '../helpers/nats-server.js';

let nats: NatsServer;
let nc: NatsConnection;
beforeAll(async () => {
  nats = await NatsServer.start();
  nc = await connect({ ...nats.connectOptions(), maxReconnectAttempts: -1, reconnectTimeWait: 100 });
});
afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

const CHECK_MS = 200;

async function bucket(name: string): Promise<KV> {
  return new Kvm(nc).create(name, { history: 5 });
}

/** Deletes every consumer on the bucket's stream: the watch's consumer is gone, as with its node. */
async function dropConsumers(name: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  let n = 0;
  for await (const ci of jsm.consumers.list(`KV_${name}`)) {
    await jsm.consumers.delete(`KV_${name}`, ci.name);
    n++;
  }
  return n;
}

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<number> {
  const start = Date.now();
  while (!ok()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - start;
}

describe('KvWatch', () => {
  it('restarts a watch whose consumer is gone and delivers each revision once, in order', async () => {
    const kv = await bucket('guard_all');
    await kv.put('a', '1');
    const got: KvEntry[] = [];
    const log = memoryLogger();
    const watch = new KvWatch({ kv, what: 'test', log, checkMs: CHECK_MS, onEntry: (e) => got.push(e) });
    await watch.start();
    try {
      expect(got.map((e) => e.key)).toEqual(['a']);
      expect(await dropConsumers('guard_all')).toBeGreaterThan(0);
      await kv.put('b', '2');
      await kv.put('a', '3');
      await kv.delete('b');
      const ms = await until('the writes after the consumer was lost', () => got.length === 4);
      console.log(`watch recovered ${ms} ms after the writes (checks every ${CHECK_MS} ms)`);
      // nats.js alone notices by missed 5 s heartbeats; the guard takes two checks and a consumer.
      expect(ms).toBeLessThan(2_000);
      expect(watch.restarts).toBe(1);
      expect(got.map((e) => [e.key, e.operation, e.revision])).toEqual([
        ['a', 'PUT', 1],
        ['b', 'PUT', 2],
        ['a', 'PUT', 3],
        ['b', 'DEL', 4],
      ]);
      expect(log.lines.some((l) => l.includes('test watch stalled behind its stream'))).toBe(true);
      // Once caught up, it stays put: no further restarts while nothing is behind.
      await new Promise((r) => setTimeout(r, CHECK_MS * 4));
      expect(watch.restarts).toBe(1);
    } finally {
      watch.stop();
    }
  });

  it('watches one key: writes to other keys never count as a stall', async () => {
    const kv = await bucket('guard_key');
    await kv.put('state', 's1');
    const got: string[] = [];
    const watch = new KvWatch({
      kv,
      key: 'state',
      what: 'test',
      checkMs: CHECK_MS,
      onEntry: (e) => got.push(e.string()),
    });
    await watch.start();
    try {
      for (let i = 0; i < 5; i++) await kv.put(`other${i}`, 'x');
      await new Promise((r) => setTimeout(r, CHECK_MS * 4));
      expect(watch.restarts).toBe(0);
      expect(got).toEqual(['s1']);
      await dropConsumers('guard_key');
      await kv.put('other9', 'x');
      await kv.put('state', 's2');
      await until('the key written after the consumer was lost', () => got.length === 2);
      expect(got).toEqual(['s1', 's2']);
      expect(watch.restarts).toBe(1);
    } finally {
      watch.stop();
    }
  });
});
