import { describe, expect, it } from 'vitest';
import { runSliced } from '../../kernel/runtime/steps.js';
import { loopStall } from '../../test/helpers/loop-stall.js';
import {
  type AuditEvent,
  type AuditRecord,
  chainRecord,
  GENESIS,
  hashRecord,
  verifyChain,
  verifyChainSteps,
} from './audit-chain.js';

const event = (n: number): AuditEvent => ({
  action: 'apply',
  who: 'apikey:admin',
  at: `2026-01-01T00:00:0${n}Z`,
  from: '127.0.0.1',
  namespace: 'default',
  name: `route-${n}`,
  revision: n,
  reason: `change ${n}`,
});

function trail(n: number): AuditRecord[] {
  const out: AuditRecord[] = [];
  for (let i = 1; i <= n; i++) out.push(chainRecord(out.at(-1), event(i)));
  return out;
}
const stored = (records: AuditRecord[]) => records.map((record, i) => ({ seq: i + 1, record }));

describe('audit chain', () => {
  it('numbers records from 1, links each to the hash before it and hashes everything else', () => {
    const [a, b] = trail(2);
    // The first link is 64 zeros: the trail's format, which an outside verifier relies on too.
    expect(a).toMatchObject({ index: 1, prev: '0'.repeat(64) });
    expect(GENESIS).toBe(a!.prev);
    expect(b).toMatchObject({ index: 2, prev: a!.hash });
    const { hash, ...rest } = b!;
    expect(hash).toBe(hashRecord(rest));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('verifies an intact trail and reports its head', () => {
    const records = trail(3);
    expect(verifyChain(stored(records))).toEqual({
      ok: true,
      records: 3,
      problems: [],
      head: records[2]!.hash,
    });
    expect(verifyChain([])).toEqual({ ok: true, records: 0, problems: [], head: GENESIS });
  });

  it('finds one field altered in place: same sequence, index and link, only the content differs', () => {
    const records = trail(3);
    records[1] = { ...records[1]!, reason: 'nothing to see' };
    expect(verifyChain(stored(records)).problems).toEqual([
      'record 2: content does not match its hash (altered)',
    ]);
  });

  it('finds a removed record, a reordered trail and a record stored at another sequence', () => {
    const [a, b, c] = trail(3);
    expect(
      verifyChain([
        { seq: 1, record: a! },
        { seq: 3, record: c! },
      ]).problems,
    ).toEqual([
      'record at sequence 3: index 3, expected 2 (a record is missing or out of order)',
      'record 3: does not link to the record before it',
    ]);
    expect(
      verifyChain([
        { seq: 1, record: b! },
        { seq: 2, record: a! },
      ]).problems,
    ).toEqual([
      'record at sequence 1: index 2, expected 1 (a record is missing or out of order)',
      'record at sequence 1: claims index 2',
      'record 2: does not link to the record before it',
      'record at sequence 2: index 1, expected 3 (a record is missing or out of order)',
      'record at sequence 2: claims index 1',
      'record 1: does not link to the record before it',
    ]);
    const v = verifyChain([
      { seq: 1, record: a! },
      { seq: 5, record: b! },
    ]);
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual(['record at sequence 5: claims index 2']);
    expect(v.head).toBe(b!.hash);
  });

  it('finds a record re-linked to a forged predecessor', () => {
    const [a, b] = trail(2);
    const { hash: _, ...rest } = b!;
    const relinked = { ...rest, prev: '1'.repeat(64) };
    const forged = { ...relinked, hash: hashRecord(relinked) };
    expect(verifyChain(stored([a!, forged])).problems).toEqual([
      'record 2: does not link to the record before it',
    ]);
  });

  it('verifies a long trail in slices: the same answer, without holding the event loop for the whole', async () => {
    // 3,000 records, each with a 20 KB diff, as a busy installation's trail holds.
    const diff = `--- a\n+++ b\n${'+  - name: v1\n'.repeat(1400)}`;
    const records: AuditRecord[] = [];
    for (let i = 1; i <= 3000; i++) records.push(chainRecord(records.at(-1), { ...event(i % 10), diff }));
    const { hash: _, ...rest } = records[1700]!;
    records[1700] = { ...rest, hash: hashRecord({ ...rest, reason: 'altered' }) };
    const t0 = performance.now();
    const whole = verifyChain(stored(records));
    const wholeMs = performance.now() - t0;
    let sliced: ReturnType<typeof verifyChain> | undefined;
    const stall = await loopStall(async () => {
      sliced = await runSliced(verifyChainSteps(stored(records)), 8);
    });
    console.log(
      `3,000 records: ${wholeMs.toFixed(0)} ms in one go; sliced, longest stall ${stall.stallMs.toFixed(1)} ms`,
    );
    expect(sliced).toEqual(whole);
    expect(whole.problems).toEqual([
      'record 1701: content does not match its hash (altered)',
      'record 1702: does not link to the record before it',
    ]);
    expect(stall.stallMs).toBeLessThan(Math.max(25, wholeMs / 3));
  });
});
