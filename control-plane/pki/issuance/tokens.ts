// One-time bootstrap tokens: how a workload with no certificate yet proves who it is. A token is
// bound to one SPIFFE ID, expires, works once, and is stored only as its SHA-256, so a copy of
// the store holds nothing that can be redeemed.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSpiffeId } from '../../../kernel/tls/index.js';
import { UnauthenticatedError } from '../errors.js';
import { writeFileAtomic } from '../files.js';

export interface TokenRecord {
  readonly identity: string;
  readonly expiresAt: number;
}

/** `take` must be atomic: of two concurrent takes of one hash, exactly one gets the record. */
export interface TokenStore {
  put(hash: string, record: TokenRecord): Promise<void>;
  take(hash: string): Promise<TokenRecord | undefined>;
}

const PREFIX = 'syt_';
const TOKEN = /^syt_[A-Za-z0-9_-]{43}$/;
export const DEFAULT_TOKEN_TTL_MS = 3_600_000;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export class MemoryTokenStore implements TokenStore {
  readonly #records = new Map<string, TokenRecord>();
  async put(hash: string, record: TokenRecord): Promise<void> {
    this.#records.set(hash, record);
  }
  async take(hash: string): Promise<TokenRecord | undefined> {
    const r = this.#records.get(hash);
    this.#records.delete(hash);
    return r;
  }
  get size(): number {
    return this.#records.size;
  }
}

/**
 * Tokens as files named by hash, shared by `certs token` (writer) and a server in another
 * process. take() renames the file first: rename(2) of one source succeeds once, so a token
 * raced by two servers is still spent exactly once.
 */
export class FileTokenStore implements TokenStore {
  constructor(readonly dir: string) {}
  async put(hash: string, record: TokenRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(this.dir, `${hash}.json`), JSON.stringify(record), 0o600);
  }
  async take(hash: string): Promise<TokenRecord | undefined> {
    if (!/^[0-9a-f]{64}$/.test(hash)) return undefined;
    const live = join(this.dir, `${hash}.json`);
    const claimed = join(this.dir, `${hash}.${randomBytes(6).toString('hex')}.spent`);
    try {
      await rename(live, claimed);
    } catch {
      return undefined;
    }
    try {
      return JSON.parse(await readFile(claimed, 'utf8')) as TokenRecord;
    } finally {
      await rm(claimed, { force: true });
    }
  }
}

export class BootstrapTokens {
  constructor(
    private readonly store: TokenStore,
    private readonly trustDomain: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A new token for `identity`; the only time the token itself exists outside the caller. */
  async create(identity: string, ttlMs = DEFAULT_TOKEN_TTL_MS): Promise<{ token: string; expiresAt: Date }> {
    const id = parseSpiffeId(identity, this.trustDomain);
    const token = PREFIX + randomBytes(32).toString('base64url');
    const expiresAt = new Date(this.now().getTime() + ttlMs);
    await this.store.put(hashToken(token), { identity: id.uri, expiresAt: expiresAt.getTime() });
    return { token, expiresAt };
  }

  /** Spends the token and returns its identity; unknown, spent and expired tokens all throw. */
  async redeem(token: string): Promise<string> {
    if (typeof token !== 'string' || !TOKEN.test(token))
      throw new UnauthenticatedError('malformed bootstrap token');
    const record = await this.store.take(hashToken(token));
    if (!record) throw new UnauthenticatedError('unknown or already used bootstrap token');
    if (record.expiresAt <= this.now().getTime()) throw new UnauthenticatedError('bootstrap token expired');
    return record.identity;
  }
}
