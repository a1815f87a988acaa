// The lease bucket: one key per job group, history 1 (only the current record matters). No max
// age: a key must outlive any pause so that its term, the fencing token, never starts over.

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { jetstream } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { StoreError } from '../../kernel/errors/index.js';
import { createBucket } from '../store/kv-buckets.js';
import { JS_CREATE_TIMEOUT_MS, JS_REQUEST_TIMEOUT_MS } from '../store/store-calls.js';

/** Today's bucket naming; an installation sharing a NATS with another picks another prefix. */
export const DEFAULT_BUCKET_PREFIX = 'switchyard';

export const leaseBucketName = (prefix = DEFAULT_BUCKET_PREFIX) => `${prefix}_lease`;

/** The one group every singleton job runs under today (CA rotation, GitOps sync). */
export const LEADER_GROUP = 'leader';

/**
 * Created (or found) with the patient client; used with the short request timeout, so that a
 * renewal lost with a NATS node is sent again within the store deadline rather than waiting it out
 * (a lost renewal used to leave the next try at the edge of the lease's expiry).
 */
export async function openLeaseBucket(
  nc: NatsConnection,
  opts: { prefix?: string; replicas?: number } = {},
): Promise<KV> {
  const name = leaseBucketName(opts.prefix);
  await createBucket(new Kvm(jetstream(nc, { timeout: JS_CREATE_TIMEOUT_MS })), name, {
    history: 1,
    replicas: opts.replicas ?? 1,
  });
  try {
    return await new Kvm(jetstream(nc, { timeout: JS_REQUEST_TIMEOUT_MS })).open(name);
  } catch (err) {
    throw new StoreError(`cannot open KV bucket ${name}: ${(err as Error).message}`, { cause: err });
  }
}

/** A replica name that differs between two processes on one host and across restarts. */
export function defaultReplicaName(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}
