// Listing a KV bucket's keys without a consumer (control-plane/store/bucket-keys.ts), on a real
// nats-server: the same keys as nats.js's kv.keys() would find, deleted ones included (callers
// skip what is not a PUT), and no consumer made on the bucket's stream.
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { describe, expect, it } from 'vitest';
import { bucketKeys } from '../../control-plane/store/bucket-keys.js';
import { natsFixture } from '../helpers/nats-fixture.js';

const fx = natsFixture();

describe('bucketKeys', () => {
  it("lists every key with a message, deleted ones too, from the stream's subjects", async () => {
    const kv = await new Kvm(fx.nc).create('keys_list', { history: 3 });
    expect(await bucketKeys(kv)).toEqual([]);
    await kv.put('default.a', '1');
    await kv.put('default.a', '2');
    await kv.put('team-b.model_x', '1');
    await kv.put('gone', '1');
    await kv.delete('gone');
    const keys = (await bucketKeys(kv)).sort();
    expect(keys).toEqual(['default.a', 'gone', 'team-b.model_x']);
    // What kv.keys() gives, plus the deleted key (its delete marker is the key's last message).
    const viaConsumer: string[] = [];
    for await (const k of await kv.keys()) viaConsumer.push(k);
    expect([...viaConsumer, 'gone'].sort()).toEqual(keys);
  });

  it('makes no consumer on the stream', async () => {
    const kv = await new Kvm(fx.nc).create('keys_noconsumer');
    await kv.put('k', 'v');
    const jsm = await jetstreamManager(fx.nc);
    const before = (await jsm.streams.info('KV_keys_noconsumer')).state.consumer_count;
    for (let i = 0; i < 5; i++) expect(await bucketKeys(kv)).toEqual(['k']);
    expect((await jsm.streams.info('KV_keys_noconsumer')).state.consumer_count).toBe(before);
    expect(before).toBe(0);
  });
});
