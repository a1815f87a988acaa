// The catalog in JetStream KV `<prefix>_models`: one key per version (`<name>.<version>`), created
// with a compare-and-set (a version exists once), updated on the revision read before (two stage
// changes never lose one another). Promotion policies live in KV `<prefix>_promotion`, one key per
// namespace. The placer's view (KV `<prefix>_placement`) is read when that bucket exists.
import { jetstream } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { bucketKeys } from '../store/bucket-keys.js';
import { openStoreBucket } from '../store/kv-buckets.js';
import { isCasFailure, JS_REQUEST_TIMEOUT_MS, storeCall } from '../store/store-calls.js';
import type { StoreNames } from '../store/store-names.js';
import { keyOf, type RegistryRef } from './names.js';
import { decodeVersion, encodeVersion, type RegistryVersion } from './record.js';

export interface CatalogEntry {
  readonly record: RegistryVersion;
  readonly revision: number;
}

export class ModelCatalog {
  private placementKv?: KV;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly models: KV,
    private readonly promotion: KV,
    private readonly placementBucket: string,
  ) {}

  static async open(nc: NatsConnection, names: StoreNames, replicas = 1): Promise<ModelCatalog> {
    const models = await openStoreBucket(nc, names.bucket('models'), { history: 16, replicas });
    const promotion = await openStoreBucket(nc, names.bucket('promotion'), { history: 16, replicas });
    return new ModelCatalog(nc, models, promotion, names.bucket('placement'));
  }

  async get(ref: RegistryRef): Promise<CatalogEntry | undefined> {
    const key = keyOf(ref);
    const e = await storeCall(`read catalog ${key}`, () => this.models.get(key));
    if (e?.operation !== 'PUT') return undefined;
    return { record: decodeVersion(e.value, key), revision: e.revision };
  }

  async list(): Promise<RegistryVersion[]> {
    return storeCall('list the catalog', async () => {
      const out: RegistryVersion[] = [];
      for (const k of (await bucketKeys(this.models)).sort()) {
        const e = await this.models.get(k);
        if (e?.operation === 'PUT') out.push(decodeVersion(e.value, k));
      }
      return out;
    });
  }

  /** Creates the version; false when it already exists (the caller compares digests). */
  async create(r: RegistryVersion): Promise<boolean> {
    const key = keyOf(r);
    try {
      await storeCall(`create catalog ${key}`, () => this.models.create(key, encodeVersion(r)), {
        retry: false,
      });
      return true;
    } catch (err) {
      if (isCasFailure(err)) return false;
      throw err;
    }
  }

  /** Compare-and-set on `revision`; false when another writer got there first. */
  async update(r: RegistryVersion, revision: number): Promise<boolean> {
    const key = keyOf(r);
    try {
      await storeCall(`update catalog ${key}`, () => this.models.update(key, encodeVersion(r), revision), {
        retry: false,
      });
      return true;
    } catch (err) {
      if (isCasFailure(err)) return false;
      throw err;
    }
  }

  async delete(ref: RegistryRef): Promise<void> {
    const key = keyOf(ref);
    await storeCall(`delete catalog ${key}`, () => this.models.delete(key));
  }

  async promotionPolicy(namespace: string): Promise<unknown | undefined> {
    const e = await storeCall(`read promotion policy ${namespace}`, () => this.promotion.get(namespace));
    if (e?.operation !== 'PUT') return undefined;
    return JSON.parse(new TextDecoder().decode(e.value));
  }

  async setPromotionPolicy(namespace: string, doc: unknown): Promise<void> {
    const bytes = new TextEncoder().encode(JSON.stringify(doc));
    await storeCall(`write promotion policy ${namespace}`, () => this.promotion.put(namespace, bytes));
  }

  /** The placer's record for this version, when a placer runs (KV `<prefix>_placement`). */
  async placement(ref: RegistryRef): Promise<unknown | undefined> {
    if (!this.placementKv) {
      try {
        this.placementKv = await new Kvm(jetstream(this.nc, { timeout: JS_REQUEST_TIMEOUT_MS })).open(
          this.placementBucket,
        );
      } catch {
        return undefined;
      }
    }
    const kv = this.placementKv;
    const e = await storeCall(`read placement ${keyOf(ref)}`, () => kv.get(keyOf(ref))).catch(() => null);
    if (e?.operation !== 'PUT') return undefined;
    return JSON.parse(new TextDecoder().decode(e.value));
  }
}
