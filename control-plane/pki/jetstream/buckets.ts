// The PKI's JetStream buckets: the CA (public state and sealed keys) and the bootstrap tokens.
// Names take the installation's prefix, like every other bucket, so two installations can share
// one NATS (docs/SECURITY.md, "The CA in JetStream").
import { jetstream } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { StoreError } from '../../../kernel/errors/index.js';
import { createBucket } from '../../store/kv-buckets.js';
import { STORE_TIMEOUT_MS } from '../../store/store-calls.js';

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

async function open(nc: NatsConnection, name: string, o: PkiBucketOptions, ttl?: number): Promise<KV> {
  const kvm = new Kvm(jetstream(nc, { timeout: STORE_TIMEOUT_MS }));
  if (!o.existing)
    return createBucket(kvm, name, { history: 1, replicas: o.replicas ?? 1, ...(ttl ? { ttl } : {}) });
  try {
    return await kvm.open(name);
  } catch (err) {
    throw new StoreError(`cannot open KV bucket ${name}: ${(err as Error).message}`, { cause: err });
  }
}

export function openCaBucket(nc: NatsConnection, o: PkiBucketOptions = {}): Promise<KV> {
  return open(nc, caBucketName(o.prefix), o);
}

export function openTokenBucket(nc: NatsConnection, o: PkiBucketOptions = {}): Promise<KV> {
  return open(nc, tokenBucketName(o.prefix), o, TOKEN_MAX_AGE_MS);
}
