// Desired state in NATS JetStream KV: one key per policy, every write a revision, every update a
// compare-and-set on the revision read before, so two concurrent writers get a conflict and
// never a lost update. KV keeps the last 64 revisions of each key (JetStream's per-subject limit).
import type { KV, KvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { NotFoundError, PolicyConflictError } from '../../kernel/errors/index.js';
import type { Logger } from '../../kernel/log/index.js';
import { bucketKeys } from './bucket-keys.js';
import { openStoreBucket } from './kv-buckets.js';
import { KvWatch } from './kv-watch.js';
import {
  decodeRecord,
  encodeRecord,
  numberHistory,
  type PolicyRecord,
  type PolicyRevision,
  parsePolicyKey,
  policyKey,
  type RevisionRef,
  routeOf,
  type StoredPolicy,
} from './policy-record.js';
import { isCasFailure, ownLandedRevision, storeCall } from './store-calls.js';
import { storeNames } from './store-names.js';

/** The bucket's name under the default prefix (store-names.ts). */
export const POLICY_BUCKET = storeNames().policyBucket;
export const MAX_HISTORY = 64;
/** Gets a listing keeps in flight at once (see `list`). */
const LIST_BATCH = 100;

/** A revision JetStream does not have is "not found"; a store that does not answer is not. */
function notFoundAsNull(err: unknown): null {
  if (/not found|no message|10037/i.test(String((err as Error)?.message ?? err))) return null;
  throw err;
}

export class PolicyStore {
  /** Parsed policies by key, each with the revision it was parsed from (see `listed`). */
  private readonly parsed = new Map<string, { revision: number; stored: StoredPolicy | undefined }>();
  private constructor(
    readonly kv: KV,
    private readonly log: Logger,
  ) {}

  static async open(
    nc: NatsConnection,
    log: Logger,
    opts: { replicas?: number; bucket?: string } = {},
  ): Promise<PolicyStore> {
    const bucket = opts.bucket ?? POLICY_BUCKET;
    // Created (or found) with the patient client; used with the short one (store-calls.ts).
    return new PolicyStore(
      await openStoreBucket(nc, bucket, { history: MAX_HISTORY, replicas: opts.replicas ?? 1 }),
      log,
    );
  }

  /**
   * `toStored`, parsed once per revision, for the watch and for listings: an apply lists the
   * store (quotas, the model's owner), and parsing every policy again each time would hold the
   * event loop for as long as the store is large. Holds only keys the store still has.
   */
  private listed(e: KvEntry): StoredPolicy | undefined {
    if (e.operation !== 'PUT') return undefined;
    const memo = this.parsed.get(e.key);
    if (memo?.revision === e.revision) return memo.stored;
    const stored = this.toStored(e);
    this.parsed.set(e.key, { revision: e.revision, stored });
    return stored;
  }
  private toStored(e: KvEntry): StoredPolicy | undefined {
    if (e.operation !== 'PUT') return undefined;
    const { namespace, name } = parsePolicyKey(e.key);
    const record = decodeRecord(e.value);
    try {
      return {
        namespace,
        name,
        revision: e.revision,
        record,
        route: routeOf(record.document, `${e.key}@${e.revision}`),
      };
    } catch (err) {
      this.log.error('stored policy no longer validates; skipped', {
        key: e.key,
        revision: e.revision,
        error: (err as Error).message,
      });
      return undefined;
    }
  }

  async get(namespace: string, name: string): Promise<StoredPolicy | undefined> {
    const key = policyKey(namespace, name);
    const e = await storeCall(`read ${key}`, () => this.kv.get(key));
    return e ? this.toStored(e) : undefined;
  }

  /** Current revision of the key, 0 when absent or deleted. */
  async currentRevision(namespace: string, name: string): Promise<number> {
    const key = policyKey(namespace, name);
    const e = await storeCall(`read ${key}`, () => this.kv.get(key));
    return e && e.operation === 'PUT' ? e.revision : 0;
  }

  list(): Promise<StoredPolicy[]> {
    return storeCall('list policies', async () => {
      const all = await bucketKeys(this.kv);
      // One request per key, a batch in flight at once: NATS pipelines them on the connection, so
      // a listing costs one round trip per batch rather than one per policy (sequential gets of a
      // few hundred policies outlasted the store deadline on a loaded machine), and the event loop
      // gets a turn between batches (issuing 800 requests in one go held it for about 60 ms).
      all.sort();
      const entries: Array<KvEntry | null> = [];
      for (let i = 0; i < all.length; i += LIST_BATCH)
        for (const e of await Promise.all(all.slice(i, i + LIST_BATCH).map((k) => this.kv.get(k))))
          entries.push(e);
      const out: StoredPolicy[] = [];
      for (const e of entries) {
        const s = e && this.listed(e);
        if (s) out.push(s);
      }
      const listed = new Set(all);
      for (const k of this.parsed.keys()) if (!listed.has(k)) this.parsed.delete(k);
      return out;
    });
  }

  /** Whether the key ever had a revision (a delete marker counts): else its history is empty. */
  async written(namespace: string, name: string): Promise<boolean> {
    const key = policyKey(namespace, name);
    return !!(await storeCall(`read ${key}`, () => this.kv.get(key)));
  }

  /**
   * Write a new revision. `expected` is the revision the caller based its change on (0: the
   * policy must not exist); a different current revision is a PolicyConflictError.
   */
  async put(namespace: string, name: string, record: PolicyRecord, expected: number): Promise<number> {
    const key = policyKey(namespace, name);
    const data = encodeRecord(record);
    return storeCall(`write ${key}`, async (retry) => {
      try {
        return expected === 0
          ? await this.createOrRevive(key, data)
          : await this.kv.update(key, data, expected);
      } catch (err) {
        if (!isCasFailure(err)) throw err;
        // A retried write whose first attempt did land (its answer was lost with the node that
        // sent it) fails its compare-and-set on itself: the stored bytes say it is ours.
        if (retry) {
          const own = await ownLandedRevision(this.kv, key, data);
          if (own !== undefined) return own;
        }
        throw new PolicyConflictError(
          `${key} changed since revision ${expected || '(none)'}: re-read it and apply again`,
        );
      }
    });
  }

  /** kv.create succeeds over a delete marker too, which is what "must not exist" means here. */
  private createOrRevive(key: string, data: Uint8Array): Promise<number> {
    return this.kv.create(key, data);
  }

  /** Writes a delete marker on `expected`; returns the marker's revision. */
  async delete(namespace: string, name: string, expected: number): Promise<number> {
    const key = policyKey(namespace, name);
    if (expected === 0) throw new NotFoundError(`policy ${key} does not exist`);
    await storeCall(`delete ${key}`, async (retry) => {
      try {
        await this.kv.delete(key, { previousSeq: expected });
      } catch (err) {
        if (!isCasFailure(err)) throw err;
        // As in put: a retry may find its own first attempt's delete marker right after `expected`.
        if (retry && (await this.revisionAfter(namespace, name, expected))?.operation === 'DEL') return;
        throw new PolicyConflictError(`${key} changed since revision ${expected}`);
      }
    });
    return (await this.revisionAfter(namespace, name, expected))?.revision ?? 0;
  }

  /** The revision written directly on `revision` (compare-and-set makes it the only one). */
  async revisionAfter(
    namespace: string,
    name: string,
    revision: number,
  ): Promise<PolicyRevision | undefined> {
    const h = await this.history(namespace, name);
    const i = h.findIndex((e) => e.revision === revision);
    return i >= 0 ? h[i + 1] : undefined;
  }

  /** Every kept revision of every policy, deletes included. */
  async allRevisions(): Promise<RevisionRef[]> {
    const byKey = new Map<string, RevisionRef[]>();
    for await (const e of await this.kv.history()) {
      const { namespace, name } = parsePolicyKey(e.key);
      const audit = e.operation === 'PUT' ? decodeRecord(e.value).audit : undefined;
      const list = byKey.get(e.key) ?? [];
      byKey.set(e.key, list);
      list.push({
        namespace,
        name,
        revision: e.revision,
        operation: e.operation,
        ...(audit ? { audit } : {}),
      });
    }
    return [...byKey.values()].flatMap((list) =>
      list
        .sort((a, b) => a.revision - b.revision)
        .map((r, i) => (i > 0 ? { ...r, previous: list[i - 1]!.revision } : r)),
    );
  }

  async history(namespace: string, name: string): Promise<PolicyRevision[]> {
    const key = policyKey(namespace, name);
    return storeCall(`read the history of ${key}`, async () => {
      const it = await this.kv.history({ key });
      const out: PolicyRevision[] = [];
      for await (const e of it) {
        out.push({
          revision: e.revision,
          operation: e.operation,
          at: e.created.toISOString(),
          ...(e.operation === 'PUT' ? { record: decodeRecord(e.value) } : {}),
        });
      }
      return numberHistory(out.sort((a, b) => a.revision - b.revision));
    });
  }

  /** The document stored at a revision of this policy. */
  async revision(namespace: string, name: string, revision: number): Promise<PolicyRecord> {
    const key = policyKey(namespace, name);
    const e = await storeCall(`read ${key}`, () => this.kv.get(key, { revision }).catch(notFoundAsNull));
    if (!e || e.key !== key || e.operation !== 'PUT')
      throw new NotFoundError(
        `policy ${key} has no revision ${revision} (the store keeps the last ${MAX_HISTORY})`,
      );
    return decodeRecord(e.value);
  }

  /**
   * Calls `onChange` with the whole current set after the initial load and after every change.
   * Resolves once the initial set has been delivered.
   */
  async watch(onChange: (all: StoredPolicy[]) => void): Promise<() => void> {
    const current = new Map<string, KvEntry>();
    // Parsed once per revision (shared with listings): an unchanged policy keeps its very route
    // object, so the translator's memo (keyed by identity) re-translates only what changed.
    const emit = () =>
      onChange(
        [...current.values()]
          .map((e) => this.listed(e))
          .filter((s): s is StoredPolicy => !!s)
          .sort((a, b) => policyKey(a.namespace, a.name).localeCompare(policyKey(b.namespace, b.name))),
      );
    const watch = new KvWatch({
      kv: this.kv,
      what: 'policy',
      log: this.log,
      onEntry: (e) => {
        if (e.operation === 'PUT') current.set(e.key, e);
        else {
          current.delete(e.key);
          this.parsed.delete(e.key);
        }
      },
      onSettled: emit,
    });
    await watch.start();
    return () => watch.stop();
  }
}
