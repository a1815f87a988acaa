// API keys as spec.access.apiKeys holds them: only their SHA-256. A presented key is hashed and
// looked up by its hash (timing can then tell an attacker about the hash at most, never about a
// key), and the match is confirmed with a constant-time compare. The index spans every model, so
// a key of another model is told apart (403) from a key nobody knows (401).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AccessRules } from '../../kernel/contract/index.js';

/** Longer than any key `switchyard apikey create` makes; longer ones are not hashed at all. */
export const MAX_API_KEY_LENGTH = 256;

export interface KeyMatch {
  readonly model: string;
  readonly tenant: string;
}

interface Entry extends KeyMatch {
  readonly hash: Buffer;
}

export class ApiKeyIndex {
  private readonly byHash = new Map<string, Entry[]>();

  constructor(models: ReadonlyMap<string, AccessRules>) {
    for (const [model, rules] of models)
      for (const k of rules.apiKeys ?? []) {
        const list = this.byHash.get(k.sha256) ?? [];
        list.push({ model, tenant: k.tenant, hash: Buffer.from(k.sha256, 'hex') });
        this.byHash.set(k.sha256, list);
      }
  }

  /** 'unknown', or the key's entry for `model`, or 'other' when it belongs to other models only. */
  lookup(key: string, model: string): KeyMatch | 'unknown' | 'other' {
    if (key.length === 0 || key.length > MAX_API_KEY_LENGTH) return 'unknown';
    const digest = createHash('sha256').update(key).digest();
    const found = this.byHash.get(digest.toString('hex'));
    if (!found?.every((e) => timingSafeEqual(e.hash, digest))) return 'unknown';
    const mine = found.find((m) => m.model === model);
    return mine ? { model: mine.model, tenant: mine.tenant } : 'other';
  }
}
