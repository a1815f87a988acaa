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
});
