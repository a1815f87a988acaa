// A CA rotation run by the leader replica reaches the other replica through JetStream: its xDS
// streams get the new trust bundle, its issuance and its own serving certificate switch to the
// new generation. The replica that does not lead cannot start a rotation.
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openReplicaState, type ReplicaState } from '../../control-plane/pipeline/replica-state.js';
import {
  BootstrapTokens,
  type CertificateAuthority,
  createCsr,
  issueLocally,
  KeyEncryptionKey,
  MemoryAuditSink,
  WorkloadIssuer,
} from '../../control-plane/pki/index.js';
import { TYPE } from '../../control-plane/xds/resource-types.js';
import { createLogger } from '../../kernel/log/index.js';
import { generateKeyPair, pemBlocks } from '../../kernel/tls/index.js';
import type { DiscoveryResponse } from '../../protos/gen/envoy/service/discovery/v3/discovery_pb.js';
import { SotwClient } from '../helpers/ads-client.js';
import { type ControlPlaneFixture, startControlPlane, waitFor } from '../helpers/control-plane.js';
import { NatsServer } from '../helpers/nats-server.js';
import { decodeSecret, routeYaml, xdsConnect } from '../security/helpers.js';
import { seedCa, TD } from './helpers.js';

const GW = `spiffe://${TD}/ns/edge/sa/gateway`;
const WEB = `spiffe://${TD}/ns/default/sa/web`;
const BUNDLE = 'switchyard/trust-bundle';

interface Replica {
  readonly name: string;
  readonly fx: ControlPlaneFixture;
  readonly state: ReplicaState;
  readonly authority: CertificateAuthority;
  readonly issuer: WorkloadIssuer;
  readonly tokens: BootstrapTokens;
}

function rootsIn(r: DiscoveryResponse): number {
  const s = r.resources.map(decodeSecret).find((x) => x.name === BUNDLE);
  if (s?.type.case !== 'validationContext') throw new Error(`no bundle in the response: ${s?.type.case}`);
  const ca = s.type.value.trustedCa?.specifier;
  return ca?.case === 'inlineString' ? pemBlocks(ca.value).length : 0;
}

describe('CA rotation across replicas', () => {
  let nats: NatsServer;
  let tmp: string;
  const replicas: Replica[] = [];
  const open: Array<{ close(): void }> = [];

  async function start(name: string, caDir: string, kekFile: string): Promise<Replica> {
    const { servers, user, pass } = nats.connectOptions();
    const state = await openReplicaState(
      { servers, user, pass, name },
      { replica: name, leaseTtlMs: 3000, pki: { kek: KeyEncryptionKey.fromFile(kekFile), seedDir: caDir } },
      createLogger(name, { level: 'warn' }),
    );
    const authority = state.ca!.authority;
    const tokens = new BootstrapTokens(state.tokens!, authority.trustDomain, () => authority.now());
    const issuer = new WorkloadIssuer({ authority, tokens, audit: new MemoryAuditSink() });
    const fx = await startControlPlane(
      { 'resnet.yaml': routeYaml('resnet', 'models', 'STRICT', { v1: [100, 9001] }) },
      { replica: state, pki: { authority, issuer }, debounceQuietMs: 20, debounceMaxMs: 200 },
    );
    return { name, fx, state, authority, issuer, tokens };
  }

  beforeAll(async () => {
    nats = await NatsServer.start();
    tmp = await mkdtemp(join(tmpdir(), 'sy-ca-rotation-'));
    const ca = await seedCa(tmp);
    replicas.push(await start('a', ca.caDir, ca.kekFile));
    replicas.push(await start('b', ca.caDir, ca.kekFile));
  });
  afterAll(async () => {
    for (const c of open) c.close();
    for (const r of replicas) await r.fx.close();
    await nats?.cleanup();
    await rm(tmp, { recursive: true, force: true });
  });

  it("reaches the follower's streams, issuance and serving certificate; the follower cannot rotate", async () => {
    await waitFor(() => replicas.some((r) => r.state.lease.isHeld()), 10_000, 'a leader');
    const leader = replicas.find((r) => r.state.lease.isHeld())!;
    const follower = replicas.find((r) => r !== leader)!;
    const first = follower.authority.activeGeneration().id;
    expect(leader.authority.activeGeneration().id).toBe(first);

    // Not the leader: refused before anything is written.
    await expect(follower.authority.prepareRotation()).rejects.toMatchObject({ code: 'SY_LEASE_FENCED' });
    expect(follower.authority.generations()).toHaveLength(1);

    // An SDS stream on the follower, holding the bundle of one root.
    const m = (await issueLocally(follower.authority, GW)).material;
    const c = new SotwClient(
      `127.0.0.1:${follower.fx.cp.xdsPort}`,
      { id: `${GW}#gw`, userAgentName: 'envoy' },
      xdsConnect(m),
    );
    open.push(c);
    c.send({ typeUrl: TYPE.SDS, resourceNames: [BUNDLE] });
    const initial = await c.next(10_000);
    expect(rootsIn(initial)).toBe(1);
    c.ack(initial, [BUNDLE]);

    const t0 = performance.now();
    const pushed = c.next(10_000);
    const next = await leader.authority.prepareRotation();
    expect(rootsIn(await pushed)).toBe(2);
    process.stdout.write(
      `rotation on ${leader.name} reached a stream on ${follower.name} in ${(performance.now() - t0).toFixed(0)} ms\n`,
    );

    const serial = follower.fx.cp.pki!.serving.serialNumber;
    await leader.authority.activatePrepared();
    await waitFor(() => follower.authority.activeGeneration().id === next, 10_000, 'the follower adopts');
    await waitFor(() => follower.fx.cp.pki!.serving.serialNumber !== serial, 10_000, 'serving re-issue');
    expect(follower.authority.trustBundle().version).toBe(leader.authority.trustBundle().version);

    // The follower now signs with the new generation, for a token from the shared bucket.
    const { token } = await leader.tokens.create(WEB);
    const issued = await follower.issuer.issue({
      csrPem: await createCsr(await generateKeyPair(true), [{ type: 'url', value: WEB }]),
      token,
    });
    const leaf = new X509Certificate(pemBlocks(issued.certificateChain)[0]!);
    const newIssuing = new X509Certificate(
      pemBlocks(leader.authority.generationById(next)!.record.chainPem)[0]!,
    );
    expect(leaf.verify(newIssuing.publicKey)).toBe(true);
    expect(follower.authority.generations().map((g) => [g.id, g.state])).toEqual([
      [first, 'retired'],
      [next, 'active'],
    ]);
  });

  it('rotates through the admin API of the leader only; the follower names the leader', async () => {
    const leader = replicas.find((r) => r.state.lease.isHeld())!;
    const follower = replicas.find((r) => r !== leader)!;
    const bundle = leader.authority.trustBundle().pem;
    const refused = await post(follower.fx.cp.adminPort, { step: 'rotate' }, bundle);
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ code: 'SY_LEASE_FENCED' });
    expect(String(refused.json.message)).toContain(`send the request to ${leader.name}`);
    expect((await post(leader.fx.cp.adminPort, { step: 'twist' }, bundle)).status).toBe(400);

    const done = await post(leader.fx.cp.adminPort, { step: 'rotate' }, bundle);
    expect(done.status).toBe(200);
    const id = String(done.json.generation);
    expect(leader.authority.activeGeneration().id).toBe(id);
    await waitFor(() => follower.authority.activeGeneration().id === id, 10_000, 'the follower adopts');
  });
});

/** POST /api/v1/ca/rotation over HTTPS (no auth config: every caller is admin). */
function post(
  port: number,
  body: unknown,
  ca: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/v1/ca/rotation',
        ca,
        agent: false,
        checkServerIdentity: () => undefined,
        headers: { 'content-type': 'application/json', 'content-length': payload.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
