// Rollout state in JetStream KV (`<prefix>_rollouts`, one key per policy): written with
// compare-and-set on the key's revision, so a replica that lost the lease (or an API call racing
// the controller) cannot overwrite a newer decision; the controller's writes also check the
// lease's fencing token first. docs/ROLLOUTS.md, "Failover".
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { PolicyConflictError } from '../../kernel/errors/index.js';
import { bucketKeys } from '../store/bucket-keys.js';
import { openStoreBucket } from '../store/kv-buckets.js';
import { isCasFailure, storeCall } from '../store/store-calls.js';
import type { RolloutState } from './state.js';

export interface StoredRollout {
  readonly state: RolloutState;
  /** The KV revision: the compare-and-set base of the next write. */
  readonly revision: number;
}

/** What the controller and the API need; KvRolloutStore in production, a map in unit tests. */
export interface RolloutStore {
  get(route: string): Promise<StoredRollout | undefined>;
  list(): Promise<StoredRollout[]>;
  /** expected 0: create (fails if the key exists). Returns the new revision. */
  put(state: RolloutState, expected: number): Promise<number>;
}

/** `<namespace>/<name>` -> a KV key (letters, digits, `-`, `_`, `.`; names never hold `/`). */
function keyOf(route: string): string {
  return route.replace('/', '.');
}

export class KvRolloutStore implements RolloutStore {
  private constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection, bucket: string, replicas = 1): Promise<KvRolloutStore> {
    return new KvRolloutStore(await openStoreBucket(nc, bucket, { history: 1, replicas }));
  }

  async get(route: string): Promise<StoredRollout | undefined> {
    const e = await storeCall(`read rollout ${route}`, () => this.kv.get(keyOf(route)));
    if (e?.operation !== 'PUT') return undefined;
    return { state: e.json<RolloutState>(), revision: e.revision };
  }

  async list(): Promise<StoredRollout[]> {
    const keys = await storeCall('list rollouts', () => bucketKeys(this.kv));
    const all = await Promise.all(keys.map((k) => this.get(k.replace('.', '/'))));
    return all.filter((r): r is StoredRollout => r !== undefined);
  }

  async put(state: RolloutState, expected: number): Promise<number> {
    const key = keyOf(state.route);
    const body = JSON.stringify(state);
    return storeCall(
      `write rollout ${state.route}`,
      async () => {
        try {
          return expected === 0 ? await this.kv.create(key, body) : await this.kv.update(key, body, expected);
        } catch (err) {
          if (isCasFailure(err))
            throw new PolicyConflictError(
              `rollout ${state.route} changed meanwhile (expected revision ${expected}); read it again`,
            );
          throw err;
        }
      },
      // A retried create/update cannot tell its own landed attempt from another writer's.
      { retry: false },
    );
  }
}

/** The same contract in memory, for unit tests of the controller. */
export class MemoryRolloutStore implements RolloutStore {
  private readonly entries = new Map<string, StoredRollout>();
  private seq = 0;

  async get(route: string): Promise<StoredRollout | undefined> {
    return this.entries.get(route);
  }

  async list(): Promise<StoredRollout[]> {
    return [...this.entries.values()];
  }

  async put(state: RolloutState, expected: number): Promise<number> {
    const cur = this.entries.get(state.route);
    if ((cur?.revision ?? 0) !== expected)
      throw new PolicyConflictError(
        `rollout ${state.route} changed meanwhile (expected revision ${expected})`,
      );
    const revision = ++this.seq;
    this.entries.set(state.route, { state: structuredClone(state), revision });
    return revision;
  }
}
