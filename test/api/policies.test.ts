// The operators' API on a real nats-server: revisions and compare-and-set under concurrency,
// idempotency keys, exact rollback, the audit trail and its tamper detection, durability across
// a NATS restart and GitOps sync (auto-rollback, which needs mTLS proxies: test/security).

import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { AUDIT_STREAM, AUDIT_SUBJECT } from '../../control-plane/audit/audit-log.js';
import { waitFor } from '../helpers/control-plane.js';
import { type ApiFixture, apiKey, routeDoc, startApi } from './fixture.js';

let fx: ApiFixture;
let admin: Record<string, string>;
beforeAll(async () => {
  fx = await startApi();
  admin = apiKey(fx.keys['admin-all']);
});
afterAll(async () => {
  await fx?.close();
});

const apply = (doc: unknown, headers = admin, extra: Record<string, unknown> = {}) =>
  fx.call('POST', '/api/v1/policies', { document: doc, ...extra }, headers);
const grpcVersion = () => fx.cp.snapshotGroups().find((g) => g.group === 'grpc')?.version;

describe('policies through the admin API', () => {
  it('creates, reads, diffs, lists history, rolls back and deletes', async () => {
    const c = await apply(routeDoc('life', 'default', 90), admin, { reason: 'first' });
    expect(c.status).toBe(201);
    expect(c.json).toMatchObject({ namespace: 'default', name: 'life', outcome: 'created' });
    const same = await apply(routeDoc('life', 'default', 90));
    expect(same.json.outcome).toBe('unchanged');
    const d = await fx.call(
      'POST',
      '/api/v1/policies/diff',
      { document: routeDoc('life', 'default', 40) },
      admin,
    );
    expect(d.json.changed).toBe(true);
    expect(d.json.diff).toMatch(/-\s+weight: 90/);
    expect(d.json.diff).toMatch(/\+\s+weight: 40/);
    const u = await apply(routeDoc('life', 'default', 40), admin, { reason: 'shift to v2' });
    expect(u.json.outcome).toBe('configured');
    const g = await fx.call('GET', '/api/v1/namespaces/default/policies/life', undefined, admin);
    expect(g.json.revision).toBe(u.json.revision);
    expect(g.json.appliedBy).toBe('apikey:admin-all');
    const rb = await fx.call(
      'POST',
      '/api/v1/namespaces/default/policies/life/rollback',
      { toRevision: c.json.revision, reason: 'bad canary' },
      admin,
    );
    expect(rb.status).toBe(200);
    const h = await fx.call('GET', '/api/v1/namespaces/default/policies/life/history', undefined, admin);
    expect(h.json.revisions.map((r: { record: { source: string } }) => r.record.source)).toEqual([
      'api',
      'api',
      'rollback',
    ]);
    expect(h.json.revisions[2].record.restoredFrom).toBe(c.json.revision);
    const del = await fx.call(
      'DELETE',
      '/api/v1/namespaces/default/policies/life?reason=done',
      undefined,
      admin,
    );
    expect(del.status).toBe(200);
    expect((await fx.call('GET', '/api/v1/namespaces/default/policies/life', undefined, admin)).status).toBe(
      404,
    );
  });

  it('reports every validation problem with its path and writes nothing', async () => {
    const bad = routeDoc('broken');
    (bad.spec.versions[0] as { weight: number }).weight = -3;
    (bad.spec as Record<string, unknown>).mirorr = {};
    const r = await apply(bad);
    expect(r.status).toBe(422);
    expect(r.json.code).toBe('SY_POLICY_INVALID');
    const paths = r.json.issues.map((i: { path: string }) => i.path);
    expect(paths).toContain('spec.versions[0].weight');
    expect(paths).toContain('spec.mirorr');
    expect(
      (await fx.call('GET', '/api/v1/namespaces/default/policies/broken', undefined, admin)).status,
    ).toBe(404);
  });

  it('lets 20 concurrent applies each land as its own revision or get a conflict, none lost', async () => {
    const base = await apply(routeDoc('race', 'default', 50));
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => apply(routeDoc('race', 'default', i + 1))),
    );
    const landed = results.filter((r) => r.status === 200).map((r) => r.json.revision as number);
    const conflicts = results.filter((r) => r.status === 409);
    expect(landed.length + conflicts.length).toBe(20);
    expect(landed.length).toBeGreaterThanOrEqual(1);
    for (const c of conflicts) expect(c.json.code).toBe('SY_POLICY_CONFLICT');
    const h = await fx.call('GET', '/api/v1/namespaces/default/policies/race/history', undefined, admin);
    const after = h.json.revisions
      .map((r: { revision: number }) => r.revision)
      .filter((r: number) => r > base.json.revision);
    expect(after.sort((a: number, b: number) => a - b)).toEqual(landed.sort((a, b) => a - b));
  });

  it('applies once per idempotency key and refuses a key reused for another request', async () => {
    const h = { ...admin, 'idempotency-key': 'deploy-42' };
    const first = await apply(routeDoc('idem', 'default', 70), h);
    const retry = await apply(routeDoc('idem', 'default', 70), h);
    expect(retry.json.revision).toBe(first.json.revision);
    expect(retry.json.replayed).toBe(true);
    const hist = await fx.call('GET', '/api/v1/namespaces/default/policies/idem/history', undefined, admin);
    expect(hist.json.revisions).toHaveLength(1);
    const other = await apply(routeDoc('idem', 'default', 20), h);
    expect(other.status).toBe(422);
    expect(other.json.code).toBe('SY_IDEMPOTENCY_KEY_REUSED');
  });

  it('restores the exact earlier resources on rollback (same snapshot versions)', async () => {
    const a = await apply(routeDoc('exact', 'default', 85));
    await waitFor(
      () => fx.cp.storedPolicies().some((p) => p.name === 'exact' && p.revision === a.json.revision),
      5000,
      'watch',
    );
    fx.cp.flush();
    const versionA = grpcVersion();
    const b = await apply(routeDoc('exact', 'default', 15));
    await waitFor(
      () => fx.cp.storedPolicies().some((p) => p.name === 'exact' && p.revision === b.json.revision),
      5000,
      'watch',
    );
    fx.cp.flush();
    expect(grpcVersion()).not.toBe(versionA);
    const rb = await fx.call(
      'POST',
      '/api/v1/namespaces/default/policies/exact/rollback',
      { toRevision: a.json.revision },
      admin,
    );
    await waitFor(
      () => fx.cp.storedPolicies().some((p) => p.name === 'exact' && p.revision === rb.json.revision),
      5000,
      'watch',
    );
    fx.cp.flush();
    expect(grpcVersion()).toBe(versionA);
  });
});

describe('audit trail', () => {
  it('records who, from where, what, the diff and the reason, and verifies intact', async () => {
    await apply(routeDoc('audited', 'default', 60), admin, { reason: 'ticket OPS-7' });
    const log = await fx.call('GET', '/api/v1/audit', undefined, admin);
    const rec = log.json.records.findLast((r: { name: string }) => r.name === 'audited');
    expect(rec).toMatchObject({
      action: 'apply',
      who: 'apikey:admin-all',
      namespace: 'default',
      reason: 'ticket OPS-7',
      via: 'http',
    });
    expect(rec.from).toMatch(/127\.0\.0\.1/);
    // The last record is the outcome; the diff is in the intent written before the revision.
    expect(rec).toMatchObject({ phase: 'committed', revision: expect.any(Number) });
    const intent = log.json.records.find((r: { index: number }) => r.index === rec.intent);
    expect(intent).toMatchObject({
      phase: 'intent',
      action: 'apply',
      name: 'audited',
      reason: 'ticket OPS-7',
    });
    expect(intent.diff).toMatch(/\+\s+weight: 60/);
    expect(JSON.stringify(log.json)).not.toContain(fx.keys['admin-all']);
    const v = await fx.call('POST', '/api/v1/audit/verify', undefined, admin);
    expect(v.json).toMatchObject({ ok: true, problems: [] });
    expect(v.json.records).toBeGreaterThan(3);
  });

  it('detects a removed record and an altered one', async () => {
    const nc = await connect(fx.nats.connectOptions());
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(AUDIT_STREAM);
      const victim = info.state.last_seq - 1;
      // An altered copy: rewrite the trail with one record's reason changed.
      const records = [];
      for (let s = info.state.first_seq; s <= info.state.last_seq; s++)
        records.push(
          (await jsm.streams.getMessage(AUDIT_STREAM, { seq: s }))!.json<Record<string, unknown>>(),
        );
      await jsm.streams.deleteMessage(AUDIT_STREAM, victim);
      let v = await fx.call('POST', '/api/v1/audit/verify', undefined, admin);
      expect(v.json.ok).toBe(false);
      expect(v.json.problems.join('\n')).toMatch(/missing/);
      // A fresh stream of the same name numbers from 1 again, so every record keeps its
      // sequence, index and link: only the altered content can give it away.
      expect(info.state.first_seq).toBe(1);
      await jsm.streams.delete(AUDIT_STREAM);
      await jsm.streams.add({ name: AUDIT_STREAM, subjects: info.config.subjects, num_replicas: 1 });
      const js = (await import('@nats-io/jetstream')).jetstream(nc);
      for (const [i, r] of records.entries())
        await js.publish(AUDIT_SUBJECT, JSON.stringify(i === 2 ? { ...r, reason: 'nothing to see' } : r));
      v = await fx.call('POST', '/api/v1/audit/verify', undefined, admin);
      expect(v.json.ok).toBe(false);
      expect(v.json.problems).toEqual([`record 3: content does not match its hash (altered)`]);
    } finally {
      await nc.close();
    }
  });
});

describe('state outside the process', () => {
  it('loses no revision across a NATS restart and keeps serving and accepting changes', async () => {
    const a = await apply(routeDoc('survivor', 'default', 30));
    const b = await apply(routeDoc('survivor', 'default', 31));
    await waitFor(
      () => fx.cp.storedPolicies().some((p) => p.name === 'survivor' && p.revision === b.json.revision),
      5000,
      'watch',
    );
    fx.cp.flush();
    const before = grpcVersion();
    await fx.nats.restart();
    expect(grpcVersion()).toBe(before);
    let h: Awaited<ReturnType<ApiFixture['call']>> = { status: 0, json: undefined, headers: new Headers() };
    await waitFor(
      async () => {
        h = await fx.call('GET', '/api/v1/namespaces/default/policies/survivor/history', undefined, admin);
        return h.status === 200;
      },
      20_000,
      'the store to answer again',
    );
    expect(h.json.revisions.map((r: { revision: number }) => r.revision)).toEqual([
      a.json.revision,
      b.json.revision,
    ]);
    const c = await apply(routeDoc('survivor', 'default', 32));
    expect(c.json.revision).toBeGreaterThan(b.json.revision);
  });

  it('syncs a policy directory into the store as GitOps, including deletions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-gitops-'));
    writeFileSync(join(dir, 'g.yaml'), stringify(routeDoc('gitops-one', 'default', 65)));
    const replica = await fx.startReplica({ policyDir: dir });
    try {
      const got = await fx.call('GET', '/api/v1/namespaces/default/policies/gitops-one', undefined, admin);
      expect(got.json).toMatchObject({ source: 'gitops', appliedBy: `gitops:${dir}` });
      unlinkSync(join(dir, 'g.yaml'));
      await waitFor(
        async () =>
          (await fx.call('GET', '/api/v1/namespaces/default/policies/gitops-one', undefined, admin))
            .status === 404,
        5000,
        'the GitOps delete',
      );
    } finally {
      await replica.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
