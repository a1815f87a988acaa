// The PKI's JetStream buckets: the CA (public state and sealed keys) and the bootstrap tokens.
// Names take the installation's prefix, like every other bucket, so two installations can share
// one NATS (docs/SECURITY.md, "The CA in JetStream").
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { StoreError } from '../../../kernel/errors/index.js';
import { openExistingBucket, openStoreBucket } from '../../store/kv-buckets.js';

export const caBucketName = (prefix = 'switchyard') => `${prefix}_ca`;
export const tokenBucketName = (prefix = 'switchyard') => `${prefix}_tokens`;

export interface PkiBucketOptions {
  readonly prefix?: string;
  readonly replicas?: number;
  /** Open only a bucket that exists (tools such as `certs token`): never create one. */
  readonly existing?: boolean;
}

/**
 * Tokens nobody redeemed leave the bucket after this (its max age); a token may not be made to
 * outlive it (JetStreamTokenStore.put refuses).
 */
export const TOKEN_MAX_AGE_MS = 30 * 24 * 3600 * 1000;

/**
 * Used with the short request timeout (kv-buckets.ts): a request lost with a NATS node is sent
 * again within the store deadline, and the writes recognise their own landed first attempt
 * (casWrite), except a token's spend (token-store.ts).
 */
async function open(nc: NatsConnection, name: string, o: PkiBucketOptions, ttl?: number): Promise<KV> {
  if (!o.existing)
    return openStoreBucket(nc, name, { history: 1, replicas: o.replicas ?? 1, ...(ttl ? { ttl } : {}) });
  const kv = await openExistingBucket(nc, name);
  if (!kv)
    throw new StoreError(
      `cannot open KV bucket ${name}: it does not exist (a control plane keeping its CA in JetStream creates it)`,
    );
  return kv;
}

export function openCaBucket(nc: NatsConnection, o: PkiBucketOptions = {}): Promise<KV> {
  return open(nc, caBucketName(o.prefix), o);
}

export function openTokenBucket(nc: NatsConnection, o: PkiBucketOptions = {}): Promise<KV> {
  return open(nc, tokenBucketName(o.prefix), o, TOKEN_MAX_AGE_MS);
}
