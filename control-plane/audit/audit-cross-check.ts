// `audit verify` beyond the chain: every revision the store keeps must have its audit record, and
// every intent must have come to an outcome. Pure: the trail, the store's revisions and the time
// come in; the problems go out, each naming the revision or record it is about.
import type { RevisionRef } from '../store/policy-record.js';
import type { AuditRecord } from './audit-chain.js';

/** An intent younger than this may still be in flight (its write not yet answered). */
export const INTENT_GRACE_MS = 60_000;

const at = (ns: string, name: string, revision: number) => `${ns}/${name}@${revision}`;

export function crossCheck(
  records: readonly AuditRecord[],
  revisions: readonly RevisionRef[],
  now: number,
  graceMs = INTENT_GRACE_MS,
): string[] {
  const problems: string[] = [];
  const audited = new Set<string>();
  const intents = new Map<number, AuditRecord>();
  const concluded = new Set<number>();
  const aborted = new Set<number>();
  for (const r of records) {
    if (r.phase === 'intent') intents.set(r.index, r);
    else if (r.intent !== undefined) {
      concluded.add(r.intent);
      if (r.phase === 'aborted') aborted.add(r.intent);
    }
    if ((r.phase === 'committed' || r.phase === undefined) && r.revision !== undefined)
      audited.add(at(r.namespace, r.name, r.revision));
    // Deletes recorded before intents existed name only the revision they deleted.
    if (r.phase === undefined && r.action === 'delete' && r.previousRevision !== undefined)
      audited.add(`${at(r.namespace, r.name, r.previousRevision)}+del`);
  }
  const intentOf = (rev: RevisionRef): AuditRecord | undefined => {
    if (rev.audit !== undefined) {
      const i = intents.get(rev.audit);
      return i && i.namespace === rev.namespace && i.name === rev.name ? i : undefined;
    }
    if (rev.operation === 'PUT' || rev.previous === undefined) return undefined;
    return [...intents.values()].find(
      (i) =>
        i.action === 'delete' &&
        i.namespace === rev.namespace &&
        i.name === rev.name &&
        i.previousRevision === rev.previous,
    );
  };
  // An intent whose outcome says nothing was written does not account for a revision that was.
  const intentFor = (rev: RevisionRef): AuditRecord | undefined => {
    const i = intentOf(rev);
    return i && !aborted.has(i.index) ? i : undefined;
  };
  for (const rev of revisions) {
    const key = at(rev.namespace, rev.name, rev.revision);
    if (audited.has(key)) continue;
    if (rev.operation !== 'PUT' && rev.previous !== undefined)
      if (audited.has(`${at(rev.namespace, rev.name, rev.previous)}+del`)) continue;
    // Written after its intent; the missing outcome is reported with the intent below.
    if (intentFor(rev)) continue;
    problems.push(
      `revision ${rev.revision} of ${rev.namespace}/${rev.name} (${rev.operation}) has no audit record`,
    );
  }
  for (const i of intents.values())
    if (!concluded.has(i.index) && now - Date.parse(i.at) > graceMs)
      problems.push(
        `record ${i.index}: the intent to ${i.action} ${i.namespace}/${i.name} has no outcome (neither committed nor aborted)`,
      );
  return problems;
}
