// Every key of a KV bucket that has a message (a deleted key too: its marker is a message), read
// from the stream's subject counts. Not kv.keys(): that creates a consumer for each listing, and
// in a JetStream cluster consumers are placed by the meta leader, so a listing would stall for a
// whole meta-leader election, and on a loaded host a consumer's creation alone can outlast the
// store's deadline. The stream's own leader answers this (docs/OPERATIONS.md, "Failover
// timings"). Callers read each key and skip the ones whose last entry is not a PUT.
import { Bucket, type KV } from '@nats-io/kv';

export async function bucketKeys(kv: KV): Promise<string[]> {
  if (!(kv instanceof Bucket)) throw new TypeError('bucketKeys reads a nats.js KV bucket');
  const info = await kv.jsm.streams.info(kv.stream, { subjects_filter: `${kv.prefix}.>` });
  return Object.keys(info.state.subjects ?? {}).map((s) => kv.decodeKey(s.substring(kv.prefixLen)));
}
