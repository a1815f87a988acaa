// The lease bucket: one key per job group, history 1 (only the current record matters). No max
// age: a key must outlive any pause so that its term, the fencing token, never starts over.

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { openStoreBucket } from '../store/kv-buckets.js';

/** Today's bucket naming; an installation sharing a NATS with another picks another prefix. */
export const DEFAULT_BUCKET_PREFIX = 'switchyard';

export const leaseBucketName = (prefix = DEFAULT_BUCKET_PREFIX) => `${prefix}_lease`;

/** The one group every singleton job runs under today (CA rotation, GitOps sync). */
export const LEADER_GROUP = 'leader';

/** Used with the short request timeout: a renewal lost with a NATS node is sent again in time. */
export function openLeaseBucket(
  nc: NatsConnection,
  opts: { prefix?: string; replicas?: number } = {},
): Promise<KV> {
  return openStoreBucket(nc, leaseBucketName(opts.prefix), { history: 1, replicas: opts.replicas ?? 1 });
}

/** A replica name that differs between two processes on one host and across restarts. */
export function defaultReplicaName(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}
