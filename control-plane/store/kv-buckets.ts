// Creating a JetStream KV bucket, for every store that keeps its state in one.

import type { KV, Kvm, KvOptions } from '@nats-io/kv';
import { StoreError } from '../../kernel/errors/index.js';

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
