// A CA kept in a directory: public state in ca.json, every private key sealed (key-envelope.ts)
// in keys/, readable by the owner only.
//
//   <dir>/ca.json                       trust domain, generations (state, root, chain)
//   <dir>/keys/<generation>.root.key    built-in generations: the root's key (re-signs intermediates)
//   <dir>/keys/<generation>.signing.key the key of the certificate that signs workloads
import { createPrivateKey } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyEncryptionKey } from '../../../kernel/crypto/index.js';
import { isKeyEnvelope, openKey, sealKey } from '../../../kernel/crypto/index.js';
import { CaError } from '../errors.js';
import { writeFileAtomic } from '../files.js';
import {
  type AuthorityOptions,
  type CaStore,
  CertificateAuthority,
  type PersistedGeneration,
} from './authority.js';
import { CaGeneration, type GenerationRecord, type NewGenerationSecrets } from './generation.js';

const STATE_FILE = 'ca.json';

interface StateFile {
  version: 1;
  trustDomain: string;
  generations: PersistedGeneration[];
}

const keyLabel = (id: string, kind: 'root' | 'signing') => `${kind}/${id}`;

export class FileCaStore implements CaStore {
  constructor(
    readonly dir: string,
    private readonly kek: KeyEncryptionKey,
    private readonly scryptParams?: { N: number; r: number; p: number },
  ) {}

  private keyPath(id: string, kind: 'root' | 'signing'): string {
    return join(this.dir, 'keys', `${id}.${kind}.key`);
  }

  async addGeneration(
    record: GenerationRecord,
    secrets: NewGenerationSecrets | { signingKey: Buffer },
  ): Promise<void> {
    await mkdir(join(this.dir, 'keys'), { recursive: true, mode: 0o700 });
    const signing = 'signingKey' in secrets ? secrets.signingKey : secrets.intermediateKey;
    await this.seal(record.id, 'signing', signing);
    if ('rootKey' in secrets) await this.seal(record.id, 'root', secrets.rootKey);
  }

  private async seal(id: string, kind: 'root' | 'signing', der: Buffer): Promise<void> {
    const text = await sealKey(der, this.kek, keyLabel(id, kind), this.scryptParams);
    await writeFileAtomic(this.keyPath(id, kind), text, 0o600);
  }

  async saveState(trustDomain: string, generations: readonly PersistedGeneration[]): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const state: StateFile = { version: 1, trustDomain, generations: [...generations] };
    await writeFileAtomic(join(this.dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
    // Keys of dropped generations go only after the state no longer names them.
    const keep = new Set(generations.map((g) => g.id));
    const files = await readdir(join(this.dir, 'keys')).catch(() => [] as string[]);
    for (const f of files) {
      const id = f.replace(/\.(root|signing)\.key$/, '');
      if (id !== f && !keep.has(id)) await rm(join(this.dir, 'keys', f), { force: true });
    }
  }

  async readState(): Promise<StateFile> {
    let text: string;
    try {
      text = await readFile(join(this.dir, STATE_FILE), 'utf8');
    } catch (err) {
      throw new CaError(`no CA in ${this.dir} (run \`switchyard certs ca init\`)`, { cause: err });
    }
    const state = JSON.parse(text) as StateFile;
    if (state.version !== 1 || !Array.isArray(state.generations))
      throw new CaError(`${join(this.dir, STATE_FILE)}: unsupported state version`);
    return state;
  }

  async openSigningKey(id: string): Promise<Buffer> {
    const text = await readFile(this.keyPath(id, 'signing'), 'utf8').catch((err) => {
      throw new CaError(`generation ${id}: signing key file missing`, { cause: err });
    });
    return openKey(text, this.kek, keyLabel(id, 'signing'));
  }

  async exists(): Promise<boolean> {
    return readFile(join(this.dir, STATE_FILE)).then(
      () => true,
      () => false,
    );
  }
}

/** The trust domain of the CA in `dir`, from its public state alone (no key-encryption key). */
export async function readCaTrustDomain(dir: string): Promise<string> {
  const text = await readFile(join(dir, STATE_FILE), 'utf8').catch((err) => {
    throw new CaError(`no CA in ${dir} (run \`switchyard certs ca init\`)`, { cause: err });
  });
  return (JSON.parse(text) as StateFile).trustDomain;
}

type OpenOptions = Omit<AuthorityOptions, 'store' | 'trustDomain'> & {
  scryptParams?: { N: number; r: number; p: number };
};

/** Creates a CA in `dir` (refusing to overwrite one): built-in, or the operator's chain and key. */
export async function initFileCa(
  dir: string,
  kek: KeyEncryptionKey,
  trustDomain: string,
  opts: OpenOptions & { operator?: { chainPem: string; keyPkcs8: Buffer } } = {},
): Promise<CertificateAuthority> {
  const store = new FileCaStore(dir, kek, opts.scryptParams);
  if (await store.exists()) throw new CaError(`a CA exists in ${dir} already`);
  const options = { ...opts, trustDomain, store };
  if (!opts.operator) return CertificateAuthority.create(options);
  const now = (opts.now ?? (() => new Date()))();
  const gen = await CaGeneration.fromOperator(
    opts.operator.chainPem,
    opts.operator.keyPkcs8,
    'operator-1',
    now,
  );
  await store.addGeneration(gen.record, { signingKey: opts.operator.keyPkcs8 });
  const ca = await CertificateAuthority.fromGenerations(options, [{ generation: gen, state: 'active' }]);
  await store.saveState(trustDomain, [{ ...gen.record, state: 'active' }]);
  return ca;
}

/** Opens the CA in `dir`, decrypting each generation's signing key with `kek`. */
export async function openFileCa(
  dir: string,
  kek: KeyEncryptionKey,
  opts: OpenOptions = {},
): Promise<CertificateAuthority> {
  const store = new FileCaStore(dir, kek, opts.scryptParams);
  const state = await store.readState();
  const generations = [];
  for (const g of state.generations) {
    const key = await store.openSigningKey(g.id);
    try {
      const { state: s, ...record } = g;
      generations.push({ generation: await CaGeneration.fromRecord(record, key), state: s });
    } finally {
      key.fill(0);
    }
  }
  return CertificateAuthority.fromGenerations(
    { ...opts, trustDomain: state.trustDomain, store },
    generations,
  );
}

/**
 * An operator's private key file: PEM (PKCS#8, SEC1 or PKCS#1) or a switchyard envelope sealed
 * with label "operator". Returns PKCS#8 DER.
 */
export async function readOperatorKey(text: string, kek?: KeyEncryptionKey): Promise<Buffer> {
  if (isKeyEnvelope(text)) {
    if (!kek) throw new CaError('the operator key is sealed; a key-encryption key is needed');
    return openKey(text, kek, 'operator');
  }
  try {
    return createPrivateKey(text).export({ type: 'pkcs8', format: 'der' });
  } catch (err) {
    throw new CaError('the operator key file is not a PEM private key', { cause: err });
  }
}
