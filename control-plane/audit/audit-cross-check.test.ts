import { describe, expect, it } from 'vitest';
import type { RevisionRef } from '../store/policy-record.js';
import type { AuditRecord } from './audit-chain.js';
import { crossCheck } from './audit-cross-check.js';

const NOW = Date.parse('2026-01-01T01:00:00.000Z');
let n = 0;
function rec(fields: Partial<AuditRecord>): AuditRecord {
  n++;
  return {
    action: 'apply',
    who: 'apikey:ci',
    at: '2026-01-01T00:59:50.000Z',
    from: '127.0.0.1',
    namespace: 'default',
    name: 'a',
    index: n,
    prev: '',
    hash: '',
    ...fields,
  };
}
const rev = (revision: number, fields: Partial<RevisionRef> = {}): RevisionRef => ({
  namespace: 'default',
  name: 'a',
  revision,
  operation: 'PUT',
  ...fields,
});

describe('crossCheck', () => {
  it('accepts revisions with a committed outcome and records that predate intents', () => {
    const intent = rec({ phase: 'intent' });
    const records = [
      rec({ revision: 1 }),
      rec({ action: 'delete', previousRevision: 1 }),
      intent,
      rec({ phase: 'committed', intent: intent.index, revision: 5 }),
    ];
    const revisions = [
      rev(1),
      rev(3, { operation: 'DEL', previous: 1 }),
      rev(5, { previous: 3, audit: intent.index }),
    ];
    expect(crossCheck(records, revisions, NOW)).toEqual([]);
  });

  it('names a revision without a record, puts and deletes alike', () => {
    expect(crossCheck([], [rev(7), rev(8, { operation: 'DEL', previous: 7 })], NOW)).toEqual([
      'revision 7 of default/a (PUT) has no audit record',
      'revision 8 of default/a (DEL) has no audit record',
    ]);
  });

  it('does not accept a record of another policy or an aborted change', () => {
    const intent = rec({ phase: 'intent', name: 'b' });
    const records = [intent, rec({ phase: 'aborted', intent: intent.index, revision: 9, name: 'a' })];
    expect(crossCheck(records, [rev(9, { audit: intent.index })], NOW)).toEqual([
      'revision 9 of default/a (PUT) has no audit record',
    ]);
  });

  it('lets a young intent wait for its outcome and names an old one', () => {
    const young = rec({ phase: 'intent' });
    const old = rec({
      phase: 'intent',
      action: 'delete',
      at: '2026-01-01T00:00:00.000Z',
      previousRevision: 4,
    });
    const revisions = [
      rev(4),
      rev(6, { operation: 'DEL', previous: 4 }),
      rev(11, { audit: young.index, previous: 6 }),
    ];
    const problems = crossCheck([rec({ revision: 4 }), young, old], revisions, NOW);
    expect(problems).toEqual([
      `record ${old.index}: the intent to delete default/a has no outcome (neither committed nor aborted)`,
    ]);
  });

  it('matches a record by namespace, name and revision together', () => {
    const records = [
      rec({ revision: 1 }),
      rec({ revision: 2, name: 'b' }),
      rec({ revision: 3, namespace: 'prod' }),
    ];
    expect(crossCheck(records, [rev(1), rev(2), rev(3)], NOW)).toEqual([
      'revision 2 of default/a (PUT) has no audit record',
      'revision 3 of default/a (PUT) has no audit record',
    ]);
  });

  it('takes a committed outcome for its revision, and an old intent with an outcome as concluded', () => {
    const old = '2026-01-01T00:00:00.000Z';
    const intent = rec({ phase: 'intent', at: old });
    const records = [intent, rec({ phase: 'committed', intent: intent.index, revision: 5, at: old })];
    // The revision does not name its intent: the committed record alone accounts for it.
    expect(crossCheck(records, [rev(5)], NOW)).toEqual([]);
  });

  it('names a revision whose intent was aborted, by its audit index or as a delete', () => {
    const put = rec({ phase: 'intent' });
    const del = rec({ phase: 'intent', action: 'delete', previousRevision: 5 });
    const records = [
      put,
      rec({ phase: 'aborted', intent: put.index, error: 'x' }),
      del,
      rec({ phase: 'aborted', intent: del.index, action: 'delete', previousRevision: 5, error: 'x' }),
    ];
    expect(
      crossCheck(records, [rev(5, { audit: put.index }), rev(6, { operation: 'DEL', previous: 5 })], NOW),
    ).toEqual([
      'revision 5 of default/a (PUT) has no audit record',
      'revision 6 of default/a (DEL) has no audit record',
    ]);
  });

  it('takes only the intent a revision names, of its own namespace, and names one that names none', () => {
    const elsewhere = rec({ phase: 'intent', namespace: 'prod' });
    const other = rec({ phase: 'intent', name: 'b' });
    expect(
      crossCheck(
        [elsewhere, other],
        [rev(9, { audit: elsewhere.index }), rev(10, { audit: 999 }), rev(11, { audit: other.index })],
        NOW,
      ),
    ).toEqual([
      'revision 9 of default/a (PUT) has no audit record',
      'revision 10 of default/a (PUT) has no audit record',
      'revision 11 of default/a (PUT) has no audit record',
    ]);
  });

  it('takes a delete without an audit index only for a delete intent of that policy and revision', () => {
    const records = [
      rec({ phase: 'intent', action: 'apply', previousRevision: 4 }),
      rec({ phase: 'intent', action: 'delete', namespace: 'prod', previousRevision: 4 }),
      rec({ phase: 'intent', action: 'delete', name: 'b', previousRevision: 4 }),
      rec({ phase: 'intent', action: 'delete', previousRevision: 3 }),
      // A delete intent naming no revision accounts for no delete either.
      rec({ phase: 'intent', action: 'delete' }),
    ];
    expect(
      crossCheck(records, [rev(6, { operation: 'DEL', previous: 4 }), rev(7, { operation: 'PURGE' })], NOW),
    ).toEqual([
      'revision 6 of default/a (DEL) has no audit record',
      'revision 7 of default/a (PURGE) has no audit record',
    ]);
    // A put is never accounted for by a delete intent, even one naming its previous revision.
    const del = rec({ phase: 'intent', action: 'delete', previousRevision: 4 });
    expect(crossCheck([...records, del], [rev(8, { previous: 4 })], NOW)).toEqual([
      'revision 8 of default/a (PUT) has no audit record',
    ]);
  });

  it('takes a legacy record as a delete only when it is a delete, and only for a delete', () => {
    const records = [
      rec({ revision: 5, previousRevision: 4 }),
      rec({ action: 'delete', previousRevision: 8 }),
      rec({ phase: 'committed', action: 'delete', previousRevision: 9, revision: 10 }),
    ];
    expect(
      crossCheck(
        records,
        [
          rev(6, { operation: 'DEL', previous: 4 }),
          rev(11, { previous: 8 }),
          rev(12, { operation: 'DEL', previous: 8 }),
          rev(13, { operation: 'DEL', previous: 9 }),
        ],
        NOW,
      ),
    ).toEqual([
      'revision 6 of default/a (DEL) has no audit record',
      'revision 11 of default/a (PUT) has no audit record',
      'revision 13 of default/a (DEL) has no audit record',
    ]);
  });

  it('names an intent without outcome only once it is older than the grace period', () => {
    const intent = rec({ phase: 'intent', at: '2026-01-01T00:00:00.000Z' });
    const at = Date.parse(intent.at);
    expect(crossCheck([intent], [], at + 60_000)).toEqual([]);
    expect(crossCheck([intent], [], at + 60_001)).toEqual([
      `record ${intent.index}: the intent to apply default/a has no outcome (neither committed nor aborted)`,
    ]);
    expect(crossCheck([intent], [], at + 1001, 1000)).toHaveLength(1);
  });
});
