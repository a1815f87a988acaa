// A change and its audit record are one unit, on a real nats-server whose max_payload is small
// (128 KiB) so that an oversized diff is cheap to produce within the policy size limits: a large diff is kept as digest and
// size, an audit trail that refuses appends leaves the store untouched (apply and delete) and a
// retry then writes, a store write that fails after its intent is recorded as aborted, a
// half-done change left by a dead process is completed by recovery, and `audit verify` names a
// revision that has no record.
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditedChanges } from '../../control-plane/api/audited-changes.js';
import type { AuditRecord } from '../../control-plane/audit/audit-chain.js';
import { AUDIT_STREAM, AuditLog } from '../../control-plane/audit/audit-log.js';
import { ControlPlane } from '../../control-plane/pipeline/control-plane.js';
import { encodeRecord } from '../../control-plane/store/policy-record.js';
import { POLICY_BUCKET, PolicyStore } from '../../control-plane/store/policy-store.js';
import { createLogger } from '../../kernel/log/index.js';
import { runMain } from '../helpers/cli-in-process.js';
import { NatsServer } from '../helpers/nats-server.js';
import { routeDoc } from './fixture.js';

const MAX_PAYLOAD = 128 * 1024;

let nats: NatsServer;
let cp: ControlPlane;
let nc: NatsConnection;
let url: string;

beforeAll(async () => {
  nats = await NatsServer.start({ maxPayload: MAX_PAYLOAD });
  cp = new ControlPlane({
    host: '127.0.0.1',
    xdsPort: 0,
    adminPort: 0,
    debounceQuietMs: 20,
    debounceMaxMs: 500,
    nats: { servers: nats.url, name: 'audited-changes-test', ...nats.credentials() },
    log: createLogger('test', { level: 'error' }),
  });
  await cp.start();
  url = `http://127.0.0.1:${cp.adminPort}`;
  nc = await connect(nats.connectOptions());
});
afterAll(async () => {
  await nc?.close();
  await cp?.stop();
  await nats?.cleanup();
});

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}
const apply = (doc: unknown, extra: Record<string, unknown> = {}) =>
  call('POST', '/api/v1/policies', { document: doc, ...extra });
const verify = () => call('POST', '/api/v1/audit/verify');
const current = (name: string) => cp.store!.currentRevision('default', name);
async function records(): Promise<AuditRecord[]> {
  return (await cp.audit!.read()).map((e) => e.record);
}
const outcomeOf = (all: AuditRecord[], intent: AuditRecord) => all.find((r) => r.intent === intent.index);

/** Make the audit stream refuse every append (as a full or unavailable stream would), and back. */
async function blockAudit(blocked: boolean): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(AUDIT_STREAM);
  await jsm.streams.update(AUDIT_STREAM, {
    ...info.config,
    max_msgs: blocked ? info.state.messages : -1,
    discard: blocked ? ('new' as never) : ('old' as never),
  });
}

/**
 * A policy at the size limits (16 match rules of 8 headers) whose header values are long: about
 * 92 KB as a document, so it fits one message, while the diff that replaces every value (old and
 * new lines) does not.
 */
function bigRoute(name: string, fill: string) {
  const doc = routeDoc(name);
  return {
    ...doc,
    spec: {
      ...doc.spec,
      match: Array.from({ length: 16 }, (_, i) => ({
        headers: Object.fromEntries(
          Array.from({ length: 8 }, (_, h) => [`x-tenant-${h}`, `${i}-${fill.repeat(700)}`]),
        ),
        version: 'v2',
      })),
    },
  };
}

/** What a caller of the API says about an apply of default/`name` based on `previousRevision`. */
function applyEvent(name: string, previousRevision: number) {
  return {
    action: 'apply' as const,
    who: 'apikey:ci',
    at: new Date().toISOString(),
    from: '127.0.0.1',
    via: 'http',
    namespace: 'default',
    name,
    previousRevision,
  };
}

describe('nothing changes without its audit record', () => {
  it('keeps a diff larger than max_payload as digest and size, and answers 200', async () => {
    expect((await apply(bigRoute('huge', 'a'), { reason: 'many tenants' })).status).toBe(201);
    const r = await apply(bigRoute('huge', 'b'), { reason: 'every tenant changes' });
    expect(r.status).toBe(200);
    const all = await records();
    const intent = all.find(
      (x) => x.phase === 'intent' && x.name === 'huge' && x.reason === 'every tenant changes',
    )!;
    expect(intent.diff).toBeUndefined();
    expect(intent.diffSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(intent.diffBytes).toBeGreaterThan(MAX_PAYLOAD);
    expect(outcomeOf(all, intent)).toMatchObject({ phase: 'committed', revision: r.json.revision });
    expect((await verify()).json).toMatchObject({ ok: true, problems: [] });
  });

  it('writes nothing while the trail refuses appends; retries then write and are audited', async () => {
    const first = await apply(routeDoc('guarded', 'default', 90));
    expect(first.status).toBe(201);
    await blockAudit(true);
    try {
      const changed = await apply(routeDoc('guarded', 'default', 20), { reason: 'while blocked' });
      expect(changed.status).toBe(503);
      expect(changed.json.code).toBe('SY_STORE');
      expect(await current('guarded')).toBe(first.json.revision);
      const del = await call('DELETE', '/api/v1/namespaces/default/policies/guarded');
      expect(del.status).toBe(503);
      expect(await current('guarded')).toBe(first.json.revision);
    } finally {
      await blockAudit(false);
    }
    const retry = await apply(routeDoc('guarded', 'default', 20), { reason: 'retry' });
    expect(retry.status).toBe(200);
    expect(retry.json.outcome).toBe('configured');
    const del = await call('DELETE', '/api/v1/namespaces/default/policies/guarded?reason=gone');
    expect(del.status).toBe(200);
    expect(await current('guarded')).toBe(0);
    const all = await records();
    const delIntent = all.findLast(
      (x) => x.phase === 'intent' && x.action === 'delete' && x.name === 'guarded',
    )!;
    expect(delIntent).toMatchObject({ previousRevision: retry.json.revision, reason: 'gone' });
    const delOutcome = outcomeOf(all, delIntent)!;
    expect(delOutcome.phase).toBe('committed');
    const history = await cp.store!.history('default', 'guarded');
    expect(history.at(-1)).toMatchObject({ operation: 'DEL', revision: delOutcome.revision });
    expect((await verify()).json).toMatchObject({ ok: true, problems: [] });
  });

  it('records an intent whose store write failed as aborted, with the reason', async () => {
    const a = await apply(routeDoc('raced', 'default', 90));
    await apply(routeDoc('raced', 'default', 80));
    const stale = await apply(routeDoc('raced', 'default', 70), { expectedRevision: a.json.revision });
    expect(stale.status).toBe(409);
    const all = await records();
    const intent = all.findLast((x) => x.phase === 'intent' && x.name === 'raced')!;
    expect(intent.previousRevision).toBe(a.json.revision);
    expect(outcomeOf(all, intent)).toMatchObject({
      phase: 'aborted',
      error: expect.stringMatching(/^SY_POLICY_CONFLICT: /),
    });
    expect((await verify()).json).toMatchObject({ ok: true, problems: [] });
  });

  it('completes the half-done changes of a dead process, and verify names them until then', async () => {
    const log = createLogger('test', { level: 'error' });
    const audit = await AuditLog.open(nc);
    const store = await PolicyStore.open(nc, log);
    const base = await apply(routeDoc('orphan', 'default', 90));
    const event = (w: number) => ({ ...applyEvent('orphan', base.json.revision), reason: `weight ${w}` });
    // A process that wrote its intent and its revision, then died before the outcome...
    const written = await audit.append({ ...event(50), phase: 'intent' });
    const doc = routeDoc('orphan', 'default', 50);
    const revision = await store.put(
      'default',
      'orphan',
      { document: doc, appliedBy: 'apikey:ci', appliedAt: written.at, source: 'api', audit: written.index },
      base.json.revision,
    );
    // ...and one that died after its intent, before writing anything.
    const lost = await audit.append({
      ...event(40),
      phase: 'intent',
      at: new Date(Date.now() - 3_600_000).toISOString(),
    });
    const before = (await verify()).json;
    expect(before.ok).toBe(false);
    expect(before.problems.join('\n')).toContain(
      `record ${lost.index}: the intent to apply default/orphan has no outcome`,
    );

    await new AuditedChanges(store, audit, log).recover();
    const all = await records();
    expect(outcomeOf(all, written)).toMatchObject({ phase: 'committed', revision });
    expect(outcomeOf(all, lost)).toMatchObject({
      phase: 'aborted',
      error: expect.stringMatching(/recovery/),
    });
    expect((await verify()).json).toMatchObject({ ok: true, problems: [] });
  });

  it('does not hold a write while recovery looks an earlier intent up', async () => {
    // A history read needs a consumer, placed by the JetStream meta leader: during its election
    // the read stalls. Here it is held until released, with an intent still open whose write
    // could yet land, so that recovery must read that history.
    const log = createLogger('test', { level: 'error' });
    const audit = await AuditLog.open(nc);
    const store = await PolicyStore.open(nc, log);
    const base = await apply(routeDoc('patient', 'default', 90));
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let held = 0;
    const slow = Object.assign(Object.create(store) as PolicyStore, {
      history: async (namespace: string, name: string) => {
        held++;
        await gate;
        return store.history(namespace, name);
      },
    });
    const event = applyEvent('patient', base.json.revision);
    const open = await audit.append({ ...event, phase: 'intent', reason: 'left open' });
    const changes = new AuditedChanges(slow, audit, log);
    const doc = routeDoc('patient', 'default', 30);
    const record = { document: doc, appliedBy: 'apikey:ci', appliedAt: event.at, source: 'api' as const };
    try {
      const revision = await Promise.race([
        changes.put({ ...event, reason: 'now' }, record, base.json.revision),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the write waited')), 5_000)),
      ]);
      expect(held).toBe(1);
      expect(await current('patient')).toBe(revision);
    } finally {
      release();
    }
    // Released, recovery finds the policy moved past the open intent's base: aborted.
    await changes.recover();
    expect(outcomeOf(await records(), open)).toMatchObject({
      phase: 'aborted',
      error: expect.stringMatching(/recovery/),
    });
  });

  it('reports a revision written to the store without its audit record', async () => {
    const kv = await new Kvm(nc).open(POLICY_BUCKET);
    const doc = routeDoc('sneaky', 'default', 90);
    const rev = await kv.put(
      'default/sneaky',
      encodeRecord({
        document: doc,
        appliedBy: 'nobody',
        appliedAt: new Date().toISOString(),
        source: 'api',
      }),
    );
    const v = (await verify()).json;
    expect(v.ok).toBe(false);
    expect(v.problems).toContain(`revision ${rev} of default/sneaky (PUT) has no audit record`);
    const cli = await runMain('audit', 'verify', '--server', url);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain(`audit trail BROKEN`);
    expect(cli.stdout).toContain(`revision ${rev} of default/sneaky (PUT) has no audit record`);
    await kv.delete('default/sneaky');
    const after = (await verify()).json.problems.join('\n');
    expect(after).toMatch(/revision \d+ of default\/sneaky \(DEL\) has no audit record/);
  });
});
