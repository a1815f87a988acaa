// Idempotency keys for mutating API calls: the first request with a key claims it (a KV create,
// so two concurrent requests cannot both claim it), the result is stored, and a retry with the
// same key and the same request gets the stored result instead of a second revision. Keys expire
// after a day (the bucket's max age).

import { createHash } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { IdempotencyKeyReusedError, PolicyConflictError } from '../../kernel/errors/index.js';
import { openStoreBucket } from './kv-buckets.js';
import { isCasFailure, storeCall } from './store-calls.js';
import { storeNames } from './store-names.js';

/** The bucket's name under the default prefix (store-names.ts). */
export const IDEMPOTENCY_BUCKET = storeNames().idempotencyBucket;
const TTL_MS = 24 * 3600 * 1000;

interface Entry<T> {
  readonly request: string;
  readonly state: 'pending' | 'done';
  readonly result?: T;
}

/**
 * KV keys allow only [-/_=.a-zA-Z0-9]: keys are hashed, so any client string works. The caller
 * is part of the hash, so two callers choosing the same key never see each other's requests.
 */
function kvKey(scope: string, key: string): string {
  return createHash('sha256').update(scope).update('\0').update(key).digest('hex');
}

export class IdempotencyStore {
  private constructor(private readonly kv: KV) {}

  static async open(
    nc: NatsConnection,
    opts: { replicas?: number; bucket?: string } = {},
  ): Promise<IdempotencyStore> {
    const bucket = opts.bucket ?? IDEMPOTENCY_BUCKET;
    return new IdempotencyStore(
      await openStoreBucket(nc, bucket, { ttl: TTL_MS, history: 1, replicas: opts.replicas ?? 1 }),
    );
  }

  /**
   * Run `fn` once per key of a scope (the caller). `requestFingerprint` identifies the request; the same key with another
   * fingerprint is refused.
   */
  async once<T>(
    scope: string,
    key: string,
    requestFingerprint: string,
    fn: () => Promise<T>,
  ): Promise<{ result: T; replayed: boolean }> {
    const k = kvKey(scope, key);
    const claim: Entry<T> = { request: requestFingerprint, state: 'pending' };
    // Claims are not retried: a claim that landed but lost its answer reads as another request's.
    const claimed = await storeCall(
      'claim an idempotency key',
      () =>
        this.kv.create(k, JSON.stringify(claim)).catch((err: unknown) => {
          if (isCasFailure(err)) return undefined;
          throw err;
        }),
      { retry: false },
    );
    if (claimed === undefined) {
      const e = await storeCall('read an idempotency key', () => this.kv.get(k));
      const existing = e && e.operation === 'PUT' ? (e.json() as Entry<T>) : undefined;
      if (!existing) return this.once(scope, key, requestFingerprint, fn);
      if (existing.request !== requestFingerprint) throw new IdempotencyKeyReusedError(key);
      if (existing.state === 'pending')
        throw new PolicyConflictError(
          `a request with idempotency key ${JSON.stringify(key)} is still in progress`,
        );
      return { result: existing.result as T, replayed: true };
    }
    try {
      const result = await fn();
      await storeCall(
        'record an idempotent result',
        () =>
          this.kv.update(
            k,
            JSON.stringify({ request: requestFingerprint, state: 'done', result } satisfies Entry<T>),
            claimed,
          ),
        { retry: false },
      );
      return { result, replayed: false };
    } catch (err) {
      // A failed request may be retried with the same key.
      await this.kv.delete(k).catch(() => undefined);
      throw err;
    }
  }
}
