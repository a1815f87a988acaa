// Nothing changes without its audit record: a policy change is written as one unit of three steps.
// 1. the intent is appended to the trail (if that fails, nothing was changed);
// 2. the revision is written to the store, compare-and-set, naming the intent's index;
// 3. the outcome is appended: committed with the revision, or aborted with why.
// A process that dies between 1 and 3 leaves an intent without an outcome, and so does a write
// whose store did not answer (it may have landed); the next write (beside it) or the next start
// looks the intent up in the store and records what really happened. See "The audit
// trail" in docs/OPERATIONS.md.

import { asSwitchyardError } from '../../kernel/errors/index.js';
import type { Logger } from '../../kernel/log/index.js';
import type { AuditEvent, AuditRecord } from '../audit/audit-chain.js';
import { INTENT_GRACE_MS } from '../audit/audit-cross-check.js';
import type { AuditSink } from '../audit/audit-log.js';
import type { PolicyRecord, PolicyRevision } from '../store/policy-record.js';
import type { PolicyStore } from '../store/policy-store.js';

export interface AuditTrail extends AuditSink {
  read(opts?: { after?: number }): Promise<Array<{ seq: number; record: AuditRecord }>>;
}

/** What the caller says about a change; `previousRevision` is the revision it is based on. */
export type ChangeEvent = Omit<AuditEvent, 'phase' | 'intent' | 'revision' | 'error'>;

export class AuditedChanges {
  private scannedTo = 0;
  private readonly open = new Map<number, AuditRecord>();
  private readonly inFlight = new Set<number>();
  private recovering?: Promise<void>;

  constructor(
    private readonly store: PolicyStore,
    private readonly audit: AuditTrail,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    private readonly graceMs = INTENT_GRACE_MS,
  ) {}

  put(event: ChangeEvent, record: PolicyRecord, base: number): Promise<number> {
    return this.change(event, (intent) =>
      this.store.put(event.namespace, event.name, { ...record, audit: intent }, base),
    );
  }

  delete(event: ChangeEvent, base: number): Promise<number> {
    return this.change(event, () => this.store.delete(event.namespace, event.name, base));
  }

  private async change(event: ChangeEvent, write: (intent: number) => Promise<number>): Promise<number> {
    // Beside the write, not before it: looking an earlier intent up reads that policy's history,
    // which needs a consumer and so the JetStream meta leader. Awaited, it made every write
    // during a meta-leader election wait out a whole store deadline (docs/OPERATIONS.md).
    void this.recover().catch((err) =>
      this.log.warn('audit recovery failed; retried on the next write', {
        error: asSwitchyardError(err).message,
      }),
    );
    const intent = await this.audit.append({ ...event, phase: 'intent' });
    this.inFlight.add(intent.index);
    try {
      let revision: number;
      try {
        revision = await write(intent.index);
      } catch (err) {
        const e = asSwitchyardError(err);
        // A store that did not answer in time may still have written (a retried write can land
        // after the deadline): recovery records what the store shows instead of a guess.
        if (e.code !== 'SY_STORE')
          await this.conclude(intent, { phase: 'aborted', error: `${e.code}: ${e.message}` });
        throw err;
      }
      await this.conclude(intent, { phase: 'committed', revision });
      return revision;
    } finally {
      this.inFlight.delete(intent.index);
    }
  }

  /** Append an intent's outcome; when that fails, recovery appends it later. */
  private async conclude(
    intent: AuditRecord,
    outcome: { phase: 'committed'; revision: number } | { phase: 'aborted'; error: string },
  ): Promise<void> {
    const { index, prev, hash, phase, diff, diffSha256, diffBytes, ...same } = intent;
    try {
      await this.audit.append({ ...same, ...outcome, at: new Date(this.now()).toISOString(), intent: index });
      this.open.delete(index);
    } catch (err) {
      this.log.warn('audit outcome not recorded; recovery records it', {
        intent: index,
        policy: `${intent.namespace}/${intent.name}`,
        error: asSwitchyardError(err).message,
      });
    }
  }

  /** Give every intent without an outcome the outcome the store shows. One run at a time. */
  recover(): Promise<void> {
    this.recovering ??= this.recoverOnce().finally(() => {
      this.recovering = undefined;
    });
    return this.recovering;
  }

  private async recoverOnce(): Promise<void> {
    for (const { seq, record } of await this.audit.read({ after: this.scannedTo })) {
      this.scannedTo = seq;
      if (record.phase === 'intent') this.open.set(record.index, record);
      else if (record.intent !== undefined) this.open.delete(record.intent);
    }
    for (const intent of [...this.open.values()])
      if (!this.inFlight.has(intent.index)) await this.resolve(intent);
  }

  private async resolve(intent: AuditRecord): Promise<void> {
    const history = await this.store.history(intent.namespace, intent.name);
    const written = history.find((e, i) => wrote(intent, e, history[i - 1]));
    if (written) {
      await this.conclude(intent, { phase: 'committed', revision: written.revision });
      return;
    }
    const current = history.at(-1);
    const base = intent.previousRevision ?? 0;
    // Compare-and-set on `base`: once the policy is elsewhere, the intent can never be written.
    const stillPossible = base === 0 ? current?.operation !== 'PUT' : current?.revision === base;
    if (stillPossible && this.now() - Date.parse(intent.at) <= this.graceMs) return;
    await this.conclude(intent, { phase: 'aborted', error: 'no revision was written (found by recovery)' });
  }
}

/** Is `e` (after `before` in the key's history) the revision this intent wrote? */
function wrote(intent: AuditRecord, e: PolicyRevision, before: PolicyRevision | undefined): boolean {
  if (intent.action === 'delete')
    return e.operation !== 'PUT' && before !== undefined && before.revision === intent.previousRevision;
  return e.operation === 'PUT' && e.record?.audit === intent.index;
}
