// The CA in a JetStream KV bucket, so every replica signs with the same generations:
//
//   state                   {version, trustDomain, generations, fence}: the public state
//   key.<generation>.signing  the sealed key of the certificate that signs workloads
//   key.<generation>.root     built-in generations: the sealed root key
//
// Keys are sealed with the KEK exactly as on disk (key-envelope.ts, same labels), so the bucket
// alone opens nothing. Every state write is a compare-and-set on the revision this replica last
// saw (a replica that missed another's rotation step is refused, never overwrites it) and, when
// a fence is given, carries the writer's fencing token: a token lower than the one stored is
// refused, and so is one that is no longer the lease's.
import type { KV, KvEntry } from '@nats-io/kv';
import type { KeyEncryptionKey } from '../../../kernel/crypto/index.js';
import { openKey, sealKey } from '../../../kernel/crypto/index.js';
import { LeaseFencedError } from '../../lease/errors.js';
import { casWrite, isCasFailure, storeCall } from '../../store/store-calls.js';
import type { CaStore, PersistedGeneration } from '../ca/authority.js';
import type { GenerationRecord, NewGenerationSecrets } from '../ca/generation.js';
import { CaError } from '../errors.js';

export const STATE_KEY = 'state';

export interface JetStreamCaState {
  readonly version: 1;
  readonly trustDomain: string;
  readonly generations: PersistedGeneration[];
  /** The fencing token of the last write (0: written without a lease, e.g. the first seed). */
  readonly fence: number;
}

export const keyName = (id: string, kind: 'root' | 'signing') => `key.${id}.${kind}`;
const keyLabel = (id: string, kind: 'root' | 'signing') => `${kind}/${id}`;

/** Returns the writer's current fencing token, after checking it against the lease. */
export type Fence = () => Promise<number>;

export function decodeCaState(e: KvEntry): JetStreamCaState {
  const s = JSON.parse(e.string()) as JetStreamCaState;
  if (s.version !== 1 || !Array.isArray(s.generations))
    throw new CaError(`CA bucket key ${STATE_KEY}: unsupported state version`);
  return s;
}

/** The trust domain of the CA in the bucket, from its public state alone (no key-encryption key). */
export async function readBucketTrustDomain(kv: KV): Promise<string> {
  const e = await storeCall('read the CA state', () => kv.get(STATE_KEY));
  if (e?.operation !== 'PUT')
    throw new CaError('no CA in the CA bucket (start a control plane with --ca-dir to seed it)');
  return decodeCaState(e).trustDomain;
}

export class JetStreamCaStore implements CaStore {
  /** The state revision this replica last read or wrote; writes expect it. */
  revision = 0;

  constructor(
    readonly kv: KV,
    private readonly kek: KeyEncryptionKey,
    private readonly opts: { fence?: Fence; scryptParams?: { N: number; r: number; p: number } } = {},
  ) {}

  private async token(): Promise<number> {
    return this.opts.fence ? this.opts.fence() : 0;
  }

  async addGeneration(
    record: GenerationRecord,
    secrets: NewGenerationSecrets | { signingKey: Buffer },
  ): Promise<void> {
    await this.token(); // a replica that does not lead adds nothing, not even keys
    const signing = 'signingKey' in secrets ? secrets.signingKey : secrets.intermediateKey;
    await this.seal(record.id, 'signing', signing);
    if ('rootKey' in secrets) await this.seal(record.id, 'root', secrets.rootKey);
  }

  private async seal(id: string, kind: 'root' | 'signing', der: Buffer): Promise<void> {
    const text = await sealKey(der, this.kek, keyLabel(id, kind), this.opts.scryptParams);
    await storeCall(`store the ${kind} key of ${id}`, () => this.kv.put(keyName(id, kind), text));
  }

  /** Copies an envelope sealed elsewhere (a file CA being moved in) without opening it. */
  async putSealed(id: string, kind: 'root' | 'signing', envelope: string): Promise<void> {
    await storeCall(`store the ${kind} key of ${id}`, () => this.kv.put(keyName(id, kind), envelope));
  }

  async saveState(trustDomain: string, generations: readonly PersistedGeneration[]): Promise<void> {
    const fence = await this.token();
    const cur = await this.read();
    if (cur && fence < cur.state.fence)
      throw new LeaseFencedError(
        'CA',
        `fencing token ${fence} is older than ${cur.state.fence}, which wrote the CA state last`,
      );
    const state: JetStreamCaState = { version: 1, trustDomain, generations: [...generations], fence };
    const data = new TextEncoder().encode(JSON.stringify(state));
    const expected = this.revision;
    try {
      this.revision = await casWrite('write the CA state', this.kv, STATE_KEY, data, () =>
        expected === 0 ? this.kv.create(STATE_KEY, data) : this.kv.update(STATE_KEY, data, expected),
      );
    } catch (err) {
      if (isCasFailure(err))
        throw new CaError(
          'the CA state changed on another replica since this one read it; the step was not saved (retry)',
          { cause: err },
        );
      throw err;
    }
    // Keys of dropped generations go only after the state no longer names them.
    const keep = new Set(generations.map((g) => g.id));
    const keys = await storeCall('list CA keys', async () => {
      const out: string[] = [];
      for await (const k of await this.kv.keys('key.>')) out.push(k);
      return out;
    });
    for (const k of keys) {
      const id = k.replace(/^key\./, '').replace(/\.(root|signing)$/, '');
      if (!keep.has(id)) await storeCall(`remove CA key ${k}`, () => this.kv.purge(k));
    }
  }

  /** The state and its revision; undefined when the bucket holds no CA yet. */
  async read(): Promise<{ state: JetStreamCaState; revision: number } | undefined> {
    const e = await storeCall('read the CA state', () => this.kv.get(STATE_KEY));
    if (e?.operation !== 'PUT') return undefined;
    return { state: decodeCaState(e), revision: e.revision };
  }

  async openSigningKey(id: string): Promise<Buffer> {
    const e = await storeCall(`read the signing key of ${id}`, () => this.kv.get(keyName(id, 'signing')));
    if (e?.operation !== 'PUT') throw new CaError(`generation ${id}: signing key missing from the CA bucket`);
    return openKey(e.string(), this.kek, keyLabel(id, 'signing'));
  }
}
