// Auto-rollback on a real nats-server and real mTLS xDS streams: a NACK rolls an opted-in policy
// back only when it comes from a node whose certificate our CA issued and that was sent a resource
// of that policy. An anonymous client on the plaintext port and an authenticated node NACKing
// another model's resource change nothing; the reason recorded is the authenticated proxy's,
// made printable and bounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallContext } from '../../control-plane/api/policy-service.js';
import { TYPE } from '../../control-plane/xds/resource-types.js';
import { routeDoc } from '../api/fixture.js';
import { DeltaClient, SotwClient } from '../helpers/ads-client.js';
import { waitFor } from '../helpers/control-plane.js';
import { NatsServer } from '../helpers/nats-server.js';
import {
  id,
  type SecureControlPlane,
  type SecurityCa,
  securityCa,
  startSecureControlPlane,
  xdsConnect,
} from './helpers.js';

const GRPC = { userAgentName: 'gRPC Node Pure-JS' };
const ENVOY = { userAgentName: 'envoy' };
const GATEWAY = id('edge', 'gateway');
const SUBSCRIBER = id('mesh', 'frontend');
const BYSTANDER = id('mesh', 'other');
const OPERATOR: CallContext = {
  principal: { id: 'test:operator', kind: 'apikey', bindings: [{ role: 'admin', namespaces: ['*'] }] },
  from: '127.0.0.1',
  via: 'http',
};

let nats: NatsServer;
let sca: SecurityCa;
let f: SecureControlPlane;
const open: Array<{ close(): void }> = [];
const track = <T extends { close(): void }>(c: T): T => {
  open.push(c);
  return c;
};

beforeAll(async () => {
  nats = await NatsServer.start();
  sca = await securityCa();
  f = await startSecureControlPlane(
    sca,
    {},
    {},
    { policyDir: undefined, nats: { servers: nats.url, name: 'auto-rollback-test', ...nats.credentials() } },
  );
});
afterAll(async () => {
  for (const c of open) c.close();
  await f?.close();
  await nats?.cleanup();
});

const grpcRds = () => f.cp.snapshotGroups().find((g) => g.group === 'grpc');

/** Apply through the service and wait until the control plane publishes that revision. */
async function applyAndPublish(doc: unknown, reason: string): Promise<number> {
  const r = await f.cp.service.apply(OPERATOR, { document: doc, autoRollback: true, reason });
  await waitFor(
    () => f.cp.storedPolicies().some((p) => p.name === r.name && p.revision === r.revision),
    10_000,
    `revision ${r.revision} to reach the control plane`,
  );
  f.cp.flush();
  return r.revision;
}

/** A proxyless client's first RDS response for `names`, NACKed; resolves once the NACK is seen. */
async function nackFirst(client: SotwClient, nodeId: string, names: string[], text: string): Promise<string> {
  client.send({ typeUrl: TYPE.RDS, resourceNames: names });
  const res = await client.next(5000);
  client.nack(res, '', text, names);
  await waitFor(
    () => f.cp.proxies.list().some((p) => p.nodeId === nodeId && p.types.RDS?.nacks === 1),
    5000,
    `the NACK of ${nodeId}`,
  );
  return res.versionInfo;
}

describe('auto-rollback counts only authenticated proxies that were sent the policy', () => {
  it('ignores an anonymous NACK and a bystander’s, and rolls back on the subscriber’s', async () => {
    await applyAndPublish(routeDoc('other', 'default', 50), 'unrelated model');
    const good = await applyAndPublish(routeDoc('fragile', 'default', 90), 'first');
    const bad = await applyAndPublish(routeDoc('fragile', 'default', 10), 'risky change');
    expect(grpcRds()).toBeDefined();

    // 1. Anyone on the plaintext port, subscribing to the very resource.
    const anon = track(new SotwClient(f.insecureAddress, { id: 'attacker', ...GRPC }));
    const rejected = await nackFirst(anon, 'attacker', ['fragile'], 'injected\nreason');
    // 2. An authenticated node that was never sent a resource of the policy.
    const bystander = track(
      new SotwClient(f.xdsAddress, { id: BYSTANDER, ...GRPC }, xdsConnect(await sca.material(BYSTANDER))),
    );
    expect(await nackFirst(bystander, BYSTANDER, ['other'], 'bystander complaint')).toBe(rejected);
    // Both NACKs named the version the bad revision produced. A rollback they started would be
    // the first one and would carry their text: the reason checked below rules that out too.
    const hist = await f.cp.service.history(OPERATOR, 'default', 'fragile');
    expect(hist.map((h) => h.revision)).toEqual([good, bad]);

    // 3. An authenticated subscriber: this one counts, with its text made printable and bounded.
    const subscriber = track(
      new SotwClient(f.xdsAddress, { id: SUBSCRIBER, ...GRPC }, xdsConnect(await sca.material(SUBSCRIBER))),
    );
    const longText = `route fragile:\u202e cannot take this\r\n${'x'.repeat(5000)}`;
    expect(await nackFirst(subscriber, SUBSCRIBER, ['fragile'], longText)).toBe(rejected);
    await waitFor(
      async () => (await f.cp.store!.currentRevision('default', 'fragile')) > bad,
      10_000,
      'the auto-rollback',
    );
    const now = await f.cp.service.get(OPERATOR, 'default', 'fragile');
    expect(now).toMatchObject({ source: 'auto-rollback', appliedBy: 'system:auto-rollback' });
    expect((now.document as ReturnType<typeof routeDoc>).spec.versions[0]!.weight).toBe(90);
    const rec = (await f.cp.audit!.read()).map((e) => e.record).findLast((r) => r.name === 'fragile');
    expect(rec).toMatchObject({ action: 'auto-rollback', restoredFrom: good, who: 'system:auto-rollback' });
    expect(rec!.reason).toMatch(
      new RegExp(`^proxy ${SUBSCRIBER} rejected RDS \\S+: route fragile: cannot take this x+…$`),
    );
    expect(rec!.reason!.length).toBeLessThan(400);
    expect(rec!.reason).not.toMatch(/attacker|injected|bystander|[\p{Cc}\u202e]/u);
    // The subscriber gets the good configuration back, and status shows the bounded NACK text.
    const restored = await subscriber.next(5000);
    expect(restored.versionInfo).not.toBe(rejected);
    const status = f.cp.proxies.list().find((p) => p.nodeId === SUBSCRIBER);
    expect(status?.types.RDS?.lastNack?.message.length).toBeLessThanOrEqual(512);
    expect(status?.types.RDS?.lastNack?.message).not.toMatch(/[\r\n\u202e]/);
  });

  it('counts a delta NACK of the gateway routes from an authenticated Envoy (identity group)', async () => {
    const before = await f.cp.store!.currentRevision('default', 'fragile');
    const bad = await applyAndPublish(routeDoc('fragile', 'default', 30), 'second risky change');
    expect(bad).toBeGreaterThan(before);
    const envoy = track(
      new DeltaClient(f.xdsAddress, { id: GATEWAY, ...ENVOY }, xdsConnect(await sca.material(GATEWAY))),
    );
    envoy.send({ typeUrl: TYPE.RDS, resourceNamesSubscribe: ['switchyard-gateway'] });
    const res = await envoy.next(5000);
    expect(res.resources.map((r) => r.name)).toEqual(['switchyard-gateway']);
    envoy.send({
      typeUrl: TYPE.RDS,
      responseNonce: res.nonce,
      errorDetail: { code: 3, message: 'gateway route rejected' },
    });
    await waitFor(
      async () => (await f.cp.store!.currentRevision('default', 'fragile')) > bad,
      10_000,
      'the auto-rollback',
    );
    expect(f.cp.proxies.list().find((p) => p.nodeId === GATEWAY)?.group).toBe(`envoy|${GATEWAY}`);
    const rec = (await f.cp.audit!.read()).map((e) => e.record).findLast((r) => r.name === 'fragile');
    expect(rec).toMatchObject({ action: 'auto-rollback', restoredFrom: before });
    expect(rec!.reason).toMatch(new RegExp(`^proxy ${GATEWAY} rejected RDS \\S+: gateway route rejected$`));
  });
});
