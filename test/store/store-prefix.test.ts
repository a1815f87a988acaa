// Two installations on one NATS: control planes with different store prefixes keep their own
// policy bucket, idempotency bucket and audit stream, and never see each other's policies or
// audit records. A prefix that cannot name a bucket is refused before anything starts.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlane } from '../../control-plane/pipeline/control-plane.js';
import { type ApiFixture, apiKey, routeDoc, startApi } from '../api/fixture.js';
import { waitFor } from '../helpers/control-plane.js';

let fx: ApiFixture;
let other: ControlPlane;
let otherUrl: string;

beforeAll(async () => {
  fx = await startApi();
  other = await fx.startReplica({ storePrefix: 'tenant-b' });
  otherUrl = `http://127.0.0.1:${other.adminPort}`;
});
afterAll(async () => {
  await fx?.close();
});

async function call(base: string, method: string, path: string, body?: unknown) {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...apiKey(fx.keys['admin-all']) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: fields are checked one by one below
  return { status: r.status, json: (await r.json()) as any };
}

const names = (r: { json: { policies: Array<{ name: string }> } }) =>
  r.json.policies.map((p) => p.name).sort();

describe('--store-prefix', () => {
  it('keeps two installations on one NATS apart: policies, audit trail, buckets', async () => {
    expect((await call(fx.url, 'POST', '/api/v1/policies', { document: routeDoc('only-in-a') })).status).toBe(
      201,
    );
    expect(
      (await call(otherUrl, 'POST', '/api/v1/policies', { document: routeDoc('only-in-b') })).status,
    ).toBe(201);
    await waitFor(
      () => other.storedPolicies().some((p) => p.name === 'only-in-b'),
      10_000,
      'B to see its policy',
    );
    await waitFor(
      () => fx.cp.storedPolicies().some((p) => p.name === 'only-in-a'),
      10_000,
      'A to see its policy',
    );

    expect(names(await call(fx.url, 'GET', '/api/v1/policies'))).toEqual(['only-in-a']);
    expect(names(await call(otherUrl, 'GET', '/api/v1/policies'))).toEqual(['only-in-b']);
    expect(fx.cp.storedPolicies().map((p) => p.name)).toEqual(['only-in-a']);
    expect(other.storedPolicies().map((p) => p.name)).toEqual(['only-in-b']);

    const auditA = (await call(fx.url, 'GET', '/api/v1/audit')).json.records as Array<{ name: string }>;
    const auditB = (await call(otherUrl, 'GET', '/api/v1/audit')).json.records as Array<{ name: string }>;
    expect(new Set(auditA.map((r) => r.name))).toEqual(new Set(['only-in-a']));
    expect(new Set(auditB.map((r) => r.name))).toEqual(new Set(['only-in-b']));
    expect((await call(otherUrl, 'POST', '/api/v1/audit/verify')).json.ok).toBe(true);

    // The names JetStream holds: the default prefix's and tenant-b's, side by side.
    const nc = await connect(fx.nats.connectOptions());
    try {
      const jsm = await jetstreamManager(nc);
      const streams: string[] = [];
      for await (const s of jsm.streams.list()) streams.push(s.config.name);
      expect(streams.sort()).toEqual([
        'KV_switchyard_idempotency',
        'KV_switchyard_models',
        'KV_switchyard_placement',
        'KV_switchyard_policies',
        'KV_switchyard_promotion',
        'KV_switchyard_rollouts',
        'KV_tenant-b_idempotency',
        'KV_tenant-b_models',
        'KV_tenant-b_placement',
        'KV_tenant-b_policies',
        'KV_tenant-b_promotion',
        'KV_tenant-b_rollouts',
        'OBJ_switchyard_artifacts',
        'OBJ_tenant-b_artifacts',
        'SWITCHYARD_AUDIT',
        'TENANT-B_AUDIT',
      ]);
      expect((await jsm.streams.info('TENANT-B_AUDIT')).config.subjects).toEqual(['tenant-b.audit.events']);
    } finally {
      await nc.close();
    }
  });

  it('refuses a prefix that cannot name a bucket, saying which and why', () => {
    for (const bad of ['a.b', 'a b', '', 'x>', '-lead'])
      expect(
        () =>
          new ControlPlane({
            host: '127.0.0.1',
            xdsPort: 0,
            adminPort: 0,
            debounceQuietMs: 1,
            debounceMaxMs: 1,
            storePrefix: bad,
          }),
      ).toThrow(
        new RegExp(`--store-prefix: ${JSON.stringify(bad).replace(/[.*+?^${}()|[\]\\>]/g, '\\$&')} must be`),
      );
  });
});
