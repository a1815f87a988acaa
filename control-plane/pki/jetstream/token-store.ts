// Bootstrap tokens in a JetStream KV bucket, shared by every replica: a token is created with
// "revision 0" (kv.create) and spent with a delete whose expected revision is the one read, so of
// two replicas redeeming one token at once exactly one delete lands and the other finds nothing.
// Keys are the tokens' SHA-256 (tokens.ts), so the bucket holds nothing redeemable.
import type { KV } from '@nats-io/kv';
import { OptionError } from '../../../kernel/errors/index.js';
import { casWrite, isCasFailure, storeCall } from '../../store/store-calls.js';
import type { TokenRecord, TokenStore } from '../issuance/tokens.js';
import { TOKEN_MAX_AGE_MS } from './buckets.js';

const HASH = /^[0-9a-f]{64}$/;

export class JetStreamTokenStore implements TokenStore {
  constructor(private readonly kv: KV) {}

  async put(hash: string, record: TokenRecord): Promise<void> {
    if (record.expiresAt - Date.now() > TOKEN_MAX_AGE_MS)
      throw new OptionError(
        `a bootstrap token in JetStream lives at most ${TOKEN_MAX_AGE_MS / 86_400_000} days (the bucket's max age)`,
      );
    const data = new TextEncoder().encode(JSON.stringify(record));
    await casWrite('store a bootstrap token', this.kv, hash, data, () => this.kv.create(hash, data));
  }

  async take(hash: string): Promise<TokenRecord | undefined> {
    if (!HASH.test(hash)) return undefined;
    const e = await storeCall('read a bootstrap token', () => this.kv.get(hash));
    if (e?.operation !== 'PUT') return undefined;
    try {
      // A retried spend that finds the token gone cannot tell its own delete from another
      // replica's (a delete marker carries nothing of its writer), so it counts as spent by the
      // other: one token never yields two certificates.
      await storeCall('spend a bootstrap token', () => this.kv.delete(hash, { previousSeq: e.revision }));
    } catch (err) {
      if (isCasFailure(err)) return undefined;
      throw err;
    }
    return JSON.parse(e.string()) as TokenRecord;
  }
}
