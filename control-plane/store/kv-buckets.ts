// Creating and opening a JetStream KV bucket, for every store that keeps its state in one.

import { jetstream } from '@nats-io/jetstream';
import { type KV, Kvm, type KvOptions } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { StoreError } from '../../kernel/errors/index.js';
import { JS_CREATE_TIMEOUT_MS, JS_REQUEST_TIMEOUT_MS, storeCall } from './store-calls.js';

/**
 * Creates the bucket, or opens it where it exists. Processes that start together race to create
 * it: the losers' stream add is refused ("subjects overlap with an existing stream"), and a
 * second create finds the winner's stream and opens it. Any other failure repeats and is
 * reported as a StoreError naming the bucket.
 */
export async function createBucket(kvm: Kvm, name: string, opts: Partial<KvOptions>): Promise<KV> {
  const create = () => kvm.create(name, opts);
  try {
    return await create().catch(() => create());
  } catch (err) {
    throw new StoreError(`cannot open KV bucket ${name}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The bucket created (or found) with the patient client, then opened for use with the short
 * request timeout, so that a request lost with a NATS node is sent again within the store
 * deadline rather than waiting it out (store-calls.ts).
 */
export async function openStoreBucket(
  nc: NatsConnection,
  name: string,
  opts: Partial<KvOptions>,
): Promise<KV> {
  await createBucket(new Kvm(jetstream(nc, { timeout: JS_CREATE_TIMEOUT_MS })), name, opts);
  return bindShort(nc, name);
}

/**
 * A bucket that exists, opened for use with the short request timeout (an open lost with a NATS
 * node is sent again within the store deadline); undefined where there is no such bucket.
 */
export async function openExistingBucket(nc: NatsConnection, name: string): Promise<KV | undefined> {
  try {
    return await storeCall(`open KV bucket ${name}`, async () => {
      const kv = await bindShort(nc, name);
      // Binding sends nothing; the stream's info says whether the bucket is there.
      await kv.status();
      return kv;
    });
  } catch (err) {
    if (/not found|10059/i.test(String((err as Error).cause ?? ''))) return undefined;
    throw err;
  }
}

/** The bucket's name bound to a client with the short request timeout (no request is sent). */
function bindShort(nc: NatsConnection, name: string): Promise<KV> {
  return new Kvm(jetstream(nc, { timeout: JS_REQUEST_TIMEOUT_MS })).open(name);
}
