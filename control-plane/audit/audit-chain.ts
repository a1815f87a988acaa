// The audit trail as a hash chain (pure): each record carries the hash of the one before, and its
// own hash over everything else it says. Altering, removing or reordering any record breaks the
// chain at that point, which verifyChain reports.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../kernel/runtime/canonical-json.js';
import { runSteps } from '../../kernel/runtime/steps.js';

// model-* actions are the registry's (docs/REGISTRY.md): name is `model:<name>:<version>`.
export type AuditAction =
  | 'apply'
  | 'delete'
  | 'rollback'
  | 'auto-rollback'
  | 'model-push'
  | 'model-stage'
  | 'model-approve'
  | 'model-canary'
  | 'model-delete'
  | 'model-policy'
  | 'rollout';

/**
 * A change is written as an intent (before the store is touched), then its outcome: committed
 * (with the revision) or aborted (with why). Records without a phase predate this and describe a
 * committed change. See "The audit trail" in docs/OPERATIONS.md.
 */
export type AuditPhase = 'intent' | 'committed' | 'aborted';

/** What happened: who, when, from where, what, the diff and the reason given. Never secrets. */
export interface AuditEvent {
  readonly action: AuditAction;
  readonly who: string;
  readonly at: string;
  readonly from: string;
  readonly namespace: string;
  readonly name: string;
  readonly revision?: number;
  readonly previousRevision?: number;
  readonly restoredFrom?: number;
  readonly reason?: string;
  /** Unified diff of the policy document, before -> after. */
  readonly diff?: string;
  /** A diff too large for one record is kept as its SHA-256 and size instead. */
  readonly diffSha256?: string;
  readonly diffBytes?: number;
  readonly via?: string;
  readonly phase?: AuditPhase;
  /** Outcomes: the index of the intent they complete. */
  readonly intent?: number;
  /** Aborted: why no revision was written. */
  readonly error?: string;
}

export interface AuditRecord extends AuditEvent {
  /** 1-based position in the trail: equals the stream sequence, so a gap shows. */
  readonly index: number;
  readonly prev: string;
  readonly hash: string;
}

export const GENESIS = '0'.repeat(64);

export function hashRecord(r: Omit<AuditRecord, 'hash'>): string {
  return createHash('sha256').update(canonicalJson(r)).digest('hex');
}

export function chainRecord(previous: AuditRecord | undefined, event: AuditEvent): AuditRecord {
  const base = { ...event, index: (previous?.index ?? 0) + 1, prev: previous?.hash ?? GENESIS };
  return { ...base, hash: hashRecord(base) };
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly records: number;
  readonly problems: string[];
  /** Hash of the last record: publish it elsewhere to detect truncation of the tail. */
  readonly head: string;
}

/** Check a trail read in stream order; `seq` is the stream sequence each record was read at. */
export function verifyChain(entries: ReadonlyArray<{ seq: number; record: AuditRecord }>): VerifyResult {
  return runSteps(verifyChainSteps(entries));
}

/**
 * `verifyChain`, yielding after each record: every record is hashed again, and a trail of
 * thousands of changes (each with its diff) is too much for one turn of the admin event loop.
 */
export function* verifyChainSteps(
  entries: ReadonlyArray<{ seq: number; record: AuditRecord }>,
): Generator<void, VerifyResult> {
  const problems: string[] = [];
  let prev = GENESIS;
  let expectedIndex = 1;
  for (const { seq, record } of entries) {
    if (record.index !== expectedIndex)
      problems.push(
        `record at sequence ${seq}: index ${record.index}, expected ${expectedIndex} (a record is missing or out of order)`,
      );
    if (record.index !== seq) problems.push(`record at sequence ${seq}: claims index ${record.index}`);
    if (record.prev !== prev) problems.push(`record ${record.index}: does not link to the record before it`);
    const { hash, ...rest } = record;
    if (hashRecord(rest) !== hash)
      problems.push(`record ${record.index}: content does not match its hash (altered)`);
    prev = hash;
    expectedIndex = record.index + 1;
    yield;
  }
  return { ok: problems.length === 0, records: entries.length, problems, head: prev };
}
