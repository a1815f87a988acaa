// Every replica's CA opened from the CA bucket and kept in step with it: a rotation step one
// replica writes reaches the others through a watch of the state key, and each adopts it
// (authority.adopt): its issuance, its serving certificate, SDS and the trust bundle of its xDS
// streams switch over as they would after a local step.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KV } from '@nats-io/kv';
import type { KeyEncryptionKey } from '../../../kernel/crypto/index.js';
import type { Logger } from '../../../kernel/log/index.js';
import { KvWatch } from '../../store/kv-watch.js';
import { casWrite, isCasFailure } from '../../store/store-calls.js';
import { CertificateAuthority, type GenerationState, type PersistedGeneration } from '../ca/authority.js';
import { FileCaStore } from '../ca/ca-store.js';
import { CaGeneration } from '../ca/generation.js';
import { CaError } from '../errors.js';
import { type Fence, type JetStreamCaState, JetStreamCaStore, STATE_KEY } from './ca-store.js';

export interface JetStreamCaOptions {
  readonly kv: KV;
  readonly kek: KeyEncryptionKey;
  /** Singleton writes check it (the lease's token); without it writes only compare-and-set. */
  readonly fence?: Fence;
  readonly now?: () => Date;
  readonly scryptParams?: { N: number; r: number; p: number };
  readonly log?: Logger;
}

type Loaded = { generation: CaGeneration; state: GenerationState }[];

async function loadGenerations(
  store: JetStreamCaStore,
  persisted: readonly PersistedGeneration[],
  known: ReadonlyMap<string, CaGeneration>,
): Promise<Loaded> {
  const out: Loaded = [];
  for (const g of persisted) {
    const { state, ...record } = g;
    const have = known.get(g.id);
    if (have && have.record.chainPem === record.chainPem) {
      out.push({ generation: have, state });
      continue;
    }
    const key = await store.openSigningKey(g.id);
    try {
      out.push({ generation: await CaGeneration.fromRecord(record, key), state });
    } finally {
      key.fill(0);
    }
  }
  return out;
}

/**
 * Copies the file CA in `dir` into an empty bucket: sealed keys as they are (same KEK, same
 * labels), then the state with "revision 0", so of replicas seeding at once one wins and the
 * others find its CA. Returns false when the bucket held a CA already.
 */
export async function seedFromFileCa(kv: KV, kek: KeyEncryptionKey, dir: string): Promise<boolean> {
  const js = new JetStreamCaStore(kv, kek);
  if (await js.read()) return false;
  const file = await new FileCaStore(dir, kek).readState();
  for (const g of file.generations)
    for (const kind of ['signing', 'root'] as const) {
      const text = await readFile(join(dir, 'keys', `${g.id}.${kind}.key`), 'utf8').catch(() => undefined);
      if (text) await js.putSealed(g.id, kind, text);
      else if (kind === 'signing') throw new CaError(`${dir}: generation ${g.id} has no signing key file`);
    }
  const state: JetStreamCaState = {
    version: 1,
    trustDomain: file.trustDomain,
    generations: file.generations,
    fence: 0,
  };
  try {
    const data = new TextEncoder().encode(JSON.stringify(state));
    await casWrite('seed the CA state', kv, STATE_KEY, data, () => kv.create(STATE_KEY, data));
    return true;
  } catch (err) {
    if (isCasFailure(err)) return false;
    throw err;
  }
}

/** The CA bucket's CA on this replica, following every change another replica writes. */
export class ReplicatedCa {
  private stopWatch?: () => void;
  /** Adoptions run one at a time, in the order of the changes that asked for them. */
  private reloads: Promise<void> = Promise.resolve();

  private constructor(
    readonly authority: CertificateAuthority,
    readonly store: JetStreamCaStore,
    private readonly log: Logger | undefined,
  ) {}

  static async open(o: JetStreamCaOptions): Promise<ReplicatedCa> {
    const store = new JetStreamCaStore(o.kv, o.kek, {
      ...(o.fence ? { fence: o.fence } : {}),
      ...(o.scryptParams ? { scryptParams: o.scryptParams } : {}),
    });
    const cur = await store.read();
    if (!cur)
      throw new CaError('no CA in the CA bucket: start one replica with --ca-dir holding a CA to seed it');
    const generations = await loadGenerations(store, cur.state.generations, new Map());
    store.revision = cur.revision;
    const authority = await CertificateAuthority.fromGenerations(
      { trustDomain: cur.state.trustDomain, store, ...(o.now ? { now: o.now } : {}) },
      generations,
    );
    return new ReplicatedCa(authority, store, o.log);
  }

  /** Follows the state key; resolves once the watch is in place. */
  async start(): Promise<void> {
    // Guarded (kv-watch.ts): a watch whose NATS node died would leave this replica on an old CA
    // state until nats.js noticed, up to a minute.
    const watch = new KvWatch({
      kv: this.store.kv,
      key: STATE_KEY,
      what: 'CA state',
      ...(this.log ? { log: this.log } : {}),
      onEntry: (e) => {
        if (e.operation !== 'PUT' || e.revision <= this.store.revision) return;
        this.reloads = this.reloads.then(() =>
          this.reload().catch((err) =>
            this.log?.error('CA state from another replica not adopted; retried on the next change', {
              error: (err as Error).message,
            }),
          ),
        );
      },
    });
    await watch.start();
    this.stopWatch = () => watch.stop();
  }

  /**
   * Makes this replica's CA what the bucket says. Also the way back after a local step the store
   * refused (fenced, or raced): the step changed memory before its write failed.
   */
  async reload(): Promise<void> {
    const cur = await this.store.read();
    if (!cur) throw new CaError('the CA state disappeared from the CA bucket');
    if (cur.state.trustDomain !== this.authority.trustDomain)
      throw new CaError(
        `the CA bucket now serves trust domain ${cur.state.trustDomain}, not ${this.authority.trustDomain}`,
      );
    const mine = this.authority.generations();
    const same =
      mine.length === cur.state.generations.length &&
      mine.every(
        (g, i) => g.id === cur.state.generations[i]!.id && g.state === cur.state.generations[i]!.state,
      );
    if (!same) {
      const known = new Map(mine.map((g) => [g.id, this.authority.generationById(g.id)!]));
      await this.authority.adopt(await loadGenerations(this.store, cur.state.generations, known));
      this.log?.info('CA state adopted from the CA bucket', {
        revision: cur.revision,
        active: this.authority.activeGeneration().id,
      });
    }
    this.store.revision = Math.max(this.store.revision, cur.revision);
  }

  stop(): void {
    this.stopWatch?.();
  }
}
