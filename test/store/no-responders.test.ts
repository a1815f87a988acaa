// A JetStream request that nobody answers (no responders: on a node where nothing serves the
// subject now, as while a stream has no leader) reaches us as the client's "jetstream is not
// enabled". The store retries it within its deadline like any lost request, against real
// nats-servers: one without JetStream (every request unanswered) and one with it.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTransient, STORE_TIMEOUT_MS, storeCall } from '../../control-plane/store/store-calls.js';
import { StoreError } from '../../kernel/errors/index.js';
import { NatsServer } from '../helpers/nats-server.js';

let withJs: NatsServer;
let withoutJs: NatsServer;
let ncJs: NatsConnection;
let ncNoJs: NatsConnection;

beforeAll(async () => {
  [withJs, withoutJs] = await Promise.all([NatsServer.start(), NatsServer.start({ jetstream: false })]);
  ncJs = await connect(withJs.connectOptions());
  ncNoJs = await connect(withoutJs.connectOptions());
  const kv = await new Kvm(ncJs).create('nr');
  await kv.put('k', 'v');
});
afterAll(async () => {
  await Promise.all([ncJs?.close(), ncNoJs?.close()]);
  await Promise.all([withJs?.cleanup(), withoutJs?.cleanup()]);
});

/** A KV read through `nc`'s JetStream, as the stores make them (short request timeout). */
async function read(nc: NatsConnection): Promise<string | undefined> {
  const kv = await new Kvm(jetstream(nc, { timeout: 500 })).open('nr');
  return (await kv.get('k'))?.string();
}

describe('a JetStream request nobody answers', () => {
  it('is what the client calls "jetstream is not enabled", and it is transient', async () => {
    const err = await jetstreamManager(ncNoJs, { timeout: 500 }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('jetstream is not enabled');
    expect(isTransient(err)).toBe(true);
    // The server's own refusal for an account without JetStream is another message: not retried.
    expect(isTransient(new Error('jetstream not enabled for account'))).toBe(false);
  });

  it('is tried again within the deadline: the next attempt, on a node that answers, succeeds', async () => {
    const retries: boolean[] = [];
    const value = await storeCall('read k', async (retry) => {
      retries.push(retry);
      // The first attempt goes to the node where nothing answers, as a request does that
      // reaches a node while its stream elects a leader; the client then finds one that does.
      return read(retry ? ncJs : ncNoJs);
    });
    expect(value).toBe('v');
    expect(retries).toEqual([false, true]);
  });

  it('fails at the deadline as JetStream not reachable when nothing ever answers', async () => {
    let attempts = 0;
    const t0 = Date.now();
    const err = await storeCall('read k', () => {
      attempts++;
      return read(ncNoJs);
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toBe('policy store: cannot read k: NATS JetStream is not reachable');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(STORE_TIMEOUT_MS - 50);
    expect(attempts).toBeGreaterThan(1);
  });
});
