// What to do after a repository scan (pure). A new or changed version is acted on only once
// its files have stayed the same for `settleMs`, so a model still being copied in is not
// loaded half-written; removals act at once. At start-up everything found loads directly.
import type { ScannedVersion } from './scan.js';

export interface Pending {
  readonly fingerprint: string;
  readonly since: number;
}

export interface Plan {
  readonly load: ScannedVersion[];
  readonly unload: string[];
  /** Versions seen but not settled yet, to pass to the next call. */
  readonly pending: Map<string, Pending>;
  /** When to scan again to settle the pending ones (epoch ms), if any. */
  readonly recheckAt?: number;
}

export function planChanges(opts: {
  /** key -> fingerprint of what the pod has now (loaded, loading or failed). */
  readonly known: ReadonlyMap<string, string>;
  readonly scanned: ReadonlyMap<string, ScannedVersion>;
  readonly pending: ReadonlyMap<string, Pending>;
  readonly now: number;
  readonly settleMs: number;
  readonly initial: boolean;
}): Plan {
  const load: ScannedVersion[] = [];
  const unload: string[] = [];
  const pending = new Map<string, Pending>();
  let recheckAt: number | undefined;
  for (const [key, v] of opts.scanned) {
    if (opts.known.get(key) === v.fingerprint) continue;
    if (opts.initial) {
      load.push(v);
      continue;
    }
    const p = opts.pending.get(key);
    const since = p && p.fingerprint === v.fingerprint ? p.since : opts.now;
    if (opts.now - since >= opts.settleMs) load.push(v);
    else {
      pending.set(key, { fingerprint: v.fingerprint, since });
      const at = since + opts.settleMs;
      recheckAt = recheckAt === undefined ? at : Math.min(recheckAt, at);
    }
  }
  for (const key of opts.known.keys()) if (!opts.scanned.has(key)) unload.push(key);
  return { load, unload, pending, ...(recheckAt !== undefined ? { recheckAt } : {}) };
}
