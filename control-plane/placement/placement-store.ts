// Placement state in KV `<prefix>_placement`: one JSON record per registry version
// (`<name>.<version>`: desired replicas, bounds, assigned and ready pods, why it is short) for
// `models describe`, the API, and the next leader, which starts from the assignments in it.
// Every write is fenced: it happens only after the lease confirms this replica's term.
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { bucketKeys } from '../store/bucket-keys.js';
import { openExistingBucket, openStoreBucket } from '../store/kv-buckets.js';
import { storeCall } from '../store/store-calls.js';
import type { VersionPlacement } from './types.js';

export interface PlacementRecord {
  readonly desiredReplicas: number;
  readonly min: number;
  readonly max: number;
  readonly assigned: readonly string[];
  readonly ready: readonly string[];
  readonly unplaced?: VersionPlacement['unplaced'];
  readonly updatedAt: string;
}

export interface Fence {
  isHeld(): boolean;
  token(): number;
  checkFence(token: number): Promise<void>;
}

/**
 * The bucket (created when `create`; undefined where it does not exist otherwise), used with the
 * short request timeout: a record write lost with a NATS node is sent again (kv-buckets.ts).
 * Retries are safe here: a record is put whole and deleted by key, never compared and set.
 */
export function openKv(
  nc: NatsConnection,
  name: string,
  create: boolean,
  replicas = 1,
): Promise<KV | undefined> {
  return create ? openStoreBucket(nc, name, { history: 1, replicas }) : openExistingBucket(nc, name);
}

const same = (a: PlacementRecord, b: PlacementRecord) =>
  JSON.stringify({ ...a, updatedAt: '' }) === JSON.stringify({ ...b, updatedAt: '' });

export class PlacementStore {
  private readonly written = new Map<string, PlacementRecord>();

  constructor(readonly kv: KV) {}

  /** Every record, as the leader last wrote them (followers answer the API from these). */
  async list(): Promise<Map<string, PlacementRecord>> {
    const out = new Map<string, PlacementRecord>();
    const keys = await storeCall('list placement records', () => bucketKeys(this.kv));
    for (const k of keys) {
      const e = await storeCall(`read placement record ${k}`, () => this.kv.get(k));
      if (e && e.operation === 'PUT' && e.value.length > 0) out.set(k, e.json<PlacementRecord>());
    }
    return out;
  }

  /** Every record, for the assignments a new leader starts from; later writes diff against them. */
  async readAll(): Promise<Map<string, PlacementRecord>> {
    const out = await this.list();
    this.written.clear();
    for (const [k, r] of out) this.written.set(k, r);
    return out;
  }

  /** Writes what changed and deletes what is gone, after checking the fence once per batch. */
  async write(
    versions: readonly VersionPlacement[],
    fence: Fence | undefined,
    nowMs: number,
  ): Promise<number> {
    const next = new Map<string, PlacementRecord>();
    for (const v of versions)
      next.set(v.key, {
        desiredReplicas: v.desiredReplicas,
        min: v.min,
        max: v.max,
        assigned: v.assigned,
        ready: v.ready,
        ...(v.unplaced ? { unplaced: v.unplaced } : {}),
        updatedAt: new Date(nowMs).toISOString(),
      });
    const puts = [...next].filter(([k, r]) => {
      const w = this.written.get(k);
      return !w || !same(w, r);
    });
    const deletes = [...this.written.keys()].filter((k) => !next.has(k));
    if (puts.length === 0 && deletes.length === 0) return 0;
    if (fence) await fence.checkFence(fence.token());
    for (const [k, r] of puts) {
      await storeCall(`write placement record ${k}`, () => this.kv.put(k, JSON.stringify(r)));
      this.written.set(k, r);
    }
    for (const k of deletes) {
      await storeCall(`delete placement record ${k}`, () => this.kv.delete(k));
      this.written.delete(k);
    }
    return puts.length + deletes.length;
  }
}
