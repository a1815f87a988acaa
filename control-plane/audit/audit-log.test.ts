// The audit trail on a real nats-server's JetStream: the stream it creates, a chain that stays
// linear under concurrent writers, records bounded by the server's max_payload, reading a window
// of it, and verify naming records removed from the middle, the tail or the head.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../kernel/errors/index.js';
import { natsFixture } from '../../test/helpers/nats-fixture.js';
import { NatsServer } from '../../test/helpers/nats-server.js';
import { type AuditEvent, GENESIS } from './audit-chain.js';
import { AUDIT_STREAM, AUDIT_SUBJECT, AuditLog } from './audit-log.js';

const fx = natsFixture();

const event = (reason: string, fields: Partial<AuditEvent> = {}): AuditEvent => ({
  action: 'apply',
  who: 'apikey:ci',
  at: '2026-01-01T00:00:00.000Z',
  from: '127.0.0.1',
  namespace: 'default',
  name: 'resnet',
  reason,
  ...fields,
});

let streams = 0;
/** A trail of its own per test: the stream and subject names are the test's. */
function names() {
  streams++;
  return { auditStream: `T${streams}_AUDIT`, auditSubject: `t${streams}.audit.events` };
}

describe('AuditLog', () => {
  it('creates SWITCHYARD_AUDIT on switchyard.audit.events by default, and opens it again as it is', async () => {
    expect([AUDIT_STREAM, AUDIT_SUBJECT]).toEqual(['SWITCHYARD_AUDIT', 'switchyard.audit.events']);
    const first = await AuditLog.open(fx.nc);
    const one = await first.append(event('one'));
    const again = await AuditLog.open(fx.nc);
    const two = await again.append(event('two'));
    const info = await (await jetstreamManager(fx.nc)).streams.info(AUDIT_STREAM);
    expect(info.config.subjects).toEqual([AUDIT_SUBJECT]);
    expect(info.config.num_replicas).toBe(1);
    expect(info.state.messages).toBe(2);
    expect([one.index, one.prev, two.index, two.prev]).toEqual([1, GENESIS, 2, one.hash]);
  });

  it('chains each record onto the one before, and verifies the chain it read', async () => {
    const log = await AuditLog.open(fx.nc, { names: names() });
    expect(await log.read()).toEqual([]);
    expect(await log.verify()).toEqual({ ok: true, records: 0, problems: [], head: GENESIS });
    const a = await log.append(event('a'));
    const b = await log.append(event('b'));
    expect(a).toMatchObject({ ...event('a'), index: 1, prev: GENESIS });
    expect(b).toMatchObject({ ...event('b'), index: 2, prev: a.hash });
    expect(await log.read()).toEqual([
      { seq: 1, record: a },
      { seq: 2, record: b },
    ]);
    expect(await log.verify()).toEqual({ ok: true, records: 2, problems: [], head: b.hash });
  });

  it('keeps the chain linear when several writers append at once, each in call order', async () => {
    const n = names();
    const writers = [await AuditLog.open(fx.nc, { names: n }), await AuditLog.open(fx.nc, { names: n })];
    const done = await Promise.all(
      Array.from({ length: 10 }, (_, i) => writers[i % 2]!.append(event(`w${i % 2}-${i}`))),
    );
    const entries = await writers[0]!.read();
    expect(entries.map((e) => e.record.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // One writer's appends land in the order they were made.
    for (const w of [0, 1]) {
      const mine = entries.filter((e) => e.record.reason?.startsWith(`w${w}-`)).map((e) => e.record.reason);
      expect(mine).toEqual([0, 2, 4, 6, 8].map((i) => `w${w}-${i + w}`));
    }
    expect(done.map((r) => r.hash).sort()).toEqual(entries.map((e) => e.record.hash).sort());
    expect((await writers[1]!.verify()).ok).toBe(true);
  });

  it('reads the last `limit` records, or those after a sequence, whichever starts later', async () => {
    const log = await AuditLog.open(fx.nc, { names: names() });
    for (const r of ['1', '2', '3', '4', '5']) await log.append(event(r));
    const reasons = async (opts: { limit?: number; after?: number }) =>
      (await log.read(opts)).map((e) => `${e.seq}:${e.record.reason}`);
    expect(await reasons({ limit: 2 })).toEqual(['4:4', '5:5']);
    expect(await reasons({ limit: 9 })).toEqual(['1:1', '2:2', '3:3', '4:4', '5:5']);
    expect(await reasons({ after: 3 })).toEqual(['4:4', '5:5']);
    expect(await reasons({ after: 1, limit: 3 })).toEqual(['3:3', '4:4', '5:5']);
    expect(await reasons({ after: 4, limit: 3 })).toEqual(['5:5']);
    expect(await reasons({ after: 5 })).toEqual([]);
  });

  it('reads a trail longer than its read window in order, across removed records at the window edges', async () => {
    const n = names();
    const log = await AuditLog.open(fx.nc, { names: n });
    for (let i = 1; i <= 150; i++) await log.append(event(String(i)));
    const jsm = await jetstreamManager(fx.nc);
    // The reads go 64 at a time: records on both sides of each edge, and the last one.
    for (const seq of [64, 65, 128, 129, 150]) await jsm.streams.deleteMessage(n.auditStream, seq);
    const entries = await log.read();
    const kept = Array.from({ length: 150 }, (_, i) => i + 1).filter(
      (s) => ![64, 65, 128, 129, 150].includes(s),
    );
    expect(entries.map((e) => e.seq)).toEqual(kept);
    expect(entries.every((e) => e.record.reason === String(e.seq))).toBe(true);
    expect((await log.read({ after: 60, limit: 100 })).map((e) => e.seq)).toEqual(kept.filter((s) => s > 60));
    expect((await log.read({ limit: 30 })).map((e) => e.seq)).toEqual(kept.filter((s) => s > 120));
  });

  it('names records removed from the middle, the tail and the head', async () => {
    const n = names();
    const log = await AuditLog.open(fx.nc, { names: n });
    for (const r of ['1', '2', '3', '4', '5', '6']) await log.append(event(r));
    const jsm = await jetstreamManager(fx.nc);
    await jsm.streams.deleteMessage(n.auditStream, 3);
    await jsm.streams.deleteMessage(n.auditStream, 6);
    // Read past the gap: a removed record is left out, not an error.
    expect((await log.read()).map((e) => e.seq)).toEqual([1, 2, 4, 5]);
    expect((await log.verify()).problems).toEqual([
      'record at sequence 4: index 4, expected 3 (a record is missing or out of order)',
      'record 4: does not link to the record before it',
      'records after 5 up to sequence 6 were removed',
    ]);
    await jsm.streams.purge(n.auditStream, { seq: 3 });
    const v = await log.verify();
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([
      'the trail starts at sequence 4: records 1..3 were removed',
      'record at sequence 4: index 4, expected 1 (a record is missing or out of order)',
      'record 4: does not link to the record before it',
      'records after 5 up to sequence 6 were removed',
    ]);
  });

  it('names every record removed when the whole trail is gone', async () => {
    const n = names();
    const log = await AuditLog.open(fx.nc, { names: n });
    for (const r of ['1', '2']) await log.append(event(r));
    await (await jetstreamManager(fx.nc)).streams.purge(n.auditStream);
    expect(await log.verify()).toEqual({
      ok: false,
      records: 0,
      problems: ['records after 0 up to sequence 2 were removed'],
      head: GENESIS,
    });
  });

  it('cross-checks the store’s revisions against the trail when given them', async () => {
    const log = await AuditLog.open(fx.nc, { names: names() });
    await log.append(event('a', { revision: 1 }));
    const revisions = async () => [
      { namespace: 'default', name: 'resnet', revision: 1, operation: 'PUT' as const },
      { namespace: 'default', name: 'resnet', revision: 2, operation: 'PUT' as const },
    ];
    const v = await log.verify({ revisions });
    expect(v).toMatchObject({
      ok: false,
      records: 1,
      problems: ['revision 2 of default/resnet (PUT) has no audit record'],
    });
    expect((await log.verify()).ok).toBe(true);
  });

  it('stores a diff too large for the server’s max_payload as its digest and size', async () => {
    const small = await NatsServer.start({ maxPayload: 16 * 1024 });
    const snc = await connect(small.connectOptions());
    try {
      const log = await AuditLog.open(snc, { names: names() });
      const diff = 'x'.repeat(20_000);
      const r = await log.append(event('big', { diff }));
      expect(r.diff).toBeUndefined();
      expect(r.diffBytes).toBe(20_000);
      expect((await log.read())[0]?.record).toEqual(r);
    } finally {
      await snc.close();
      await small.cleanup();
    }
  });

  it('takes a record whose publish went unanswered but was stored as appended, once', async () => {
    // A stream that never acknowledges: every publish lands and then times out.
    const n = names();
    const jsm = await jetstreamManager(fx.nc);
    await jsm.streams.add({ name: n.auditStream, subjects: [n.auditSubject], no_ack: true });
    const log = await AuditLog.open(fx.nc, { names: n });
    const a = await log.append(event('a'));
    expect(a).toMatchObject({ index: 1, prev: GENESIS, reason: 'a' });
    const b = await log.append(event('b'));
    expect(b).toMatchObject({ index: 2, prev: a.hash, reason: 'b' });
    expect(await log.read()).toEqual([
      { seq: 1, record: a },
      { seq: 2, record: b },
    ]);
  });

  it('names the stream it cannot create', async () => {
    const jsm = await jetstreamManager(fx.nc);
    await jsm.streams.add({ name: 'TAKEN', subjects: ['taken.audit'] });
    const err = await AuditLog.open(fx.nc, {
      names: { auditStream: 'OTHER', auditSubject: 'taken.audit' },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toMatch(/^cannot create the audit stream: .*overlap/);
    expect(String((err as Error).cause)).toMatch(/overlap/);
    // Three replicas on a server that is no cluster: refused, never created with one instead.
    const n = names();
    await expect(AuditLog.open(fx.nc, { names: n, replicas: 3 })).rejects.toThrow(
      /^cannot create the audit stream: /,
    );
    await expect(jsm.streams.info(n.auditStream)).rejects.toThrow(/not found/);
  });

  it('names the trail when an append fails, and appends again once the stream is back', async () => {
    const n = names();
    const log = await AuditLog.open(fx.nc, { names: n });
    await log.append(event('1'));
    await (await jetstreamManager(fx.nc)).streams.delete(n.auditStream);
    await expect(log.append(event('2'))).rejects.toThrow(
      new StoreError('policy store: cannot append to the audit trail: NATS JetStream refused the operation'),
    );
    await AuditLog.open(fx.nc, { names: n });
    expect(await log.append(event('3'))).toMatchObject({ index: 1, prev: GENESIS, reason: '3' });
  });
});
