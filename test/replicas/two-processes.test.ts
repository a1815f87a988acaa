// Two `switchyard control-plane` processes on one nats-server, the CA and the bootstrap tokens in
// JetStream (seeded from one CA directory): either replica issues with a token, a token works
// once across both, one replica leads, and after a SIGKILL of the leader the other leads within
// the lease TTL with the next fencing token, while the GitOps sync writes each change once.
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CertificateResponse, createCsr, postCsr } from '../../control-plane/pki/index.js';
import { compileAllowList, controlPlaneId, generateKeyPair } from '../../kernel/tls/index.js';
import { runMain } from '../helpers/cli-in-process.js';
import { modelRouteYaml, waitFor } from '../helpers/control-plane.js';
import { NatsServer } from '../helpers/nats-server.js';
import { adminGet, leaderOf, type ReplicaProcess, seedCa, startReplica, TD } from './helpers.js';

const WEB = `spiffe://${TD}/ns/default/sa/web`;
const LEASE_TTL_MS = 3000;

describe('two control-plane processes sharing JetStream', () => {
  let nats: NatsServer;
  let tmp: string;
  let bundle: string;
  let policyDir: string;
  const replicas: ReplicaProcess[] = [];

  beforeAll(async () => {
    nats = await NatsServer.start();
    tmp = await mkdtemp(join(tmpdir(), 'sy-replicas-'));
    const ca = await seedCa(tmp);
    bundle = ca.bundle;
    policyDir = join(tmp, 'policies');
    await rm(policyDir, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(policyDir));
    await writeFile(join(policyDir, 'resnet.yaml'), modelRouteYaml('resnet', { v1: [100, 9001] }));
    const args = (caDir: string) => [
      ...['--ca-dir', caDir, '--kek-file', ca.kekFile, '--policy-dir', policyDir],
      ...['--lease-ttl', `${LEASE_TTL_MS}ms`],
    ];
    // r1 seeds the bucket from the CA directory; r2, on "another host", has no such directory:
    // it loads the CA r1 seeded.
    replicas.push(await startReplica(nats, 'r1', args(ca.caDir)));
    replicas.push(await startReplica(nats, 'r2', args(join(tmp, 'no-ca-here'))));
  });
  afterAll(async () => {
    for (const r of replicas) r.proc.kill();
    await Promise.all(replicas.map((r) => r.proc.exited));
    await nats?.cleanup();
    await rm(tmp, { recursive: true, force: true });
  });

  const token = async () => {
    const { servers, user, pass } = nats.connectOptions();
    const r = await runMain(
      'certs',
      'token',
      '--nats',
      servers,
      '--nats-user',
      user,
      '--nats-password',
      pass,
      '--identity',
      WEB,
    );
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim();
  };
  const issue = async (r: ReplicaProcess, t: string): Promise<CertificateResponse> => {
    const csr = await createCsr(await generateKeyPair(true), [{ type: 'url', value: WEB }]);
    return postCsr(
      `https://127.0.0.1:${r.adminPort}`,
      { csr, token: t },
      {
        trustBundle: bundle,
        expectServer: compileAllowList([controlPlaneId(TD)]),
      },
    );
  };

  it('issues on either replica with a token from the shared bucket; a used token is refused on both', async () => {
    const [r1, r2] = replicas as [ReplicaProcess, ReplicaProcess];
    const first = await token();
    const issued = await issue(r2, first);
    expect(issued.identity).toBe(WEB);
    // Signed by the one CA both replicas loaded: the seeded directory's root is its trust anchor.
    const leaf = new X509Certificate(issued.certificateChain);
    const root = new X509Certificate(bundle);
    const chain = issued.certificateChain.match(
      /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g,
    )!;
    const intermediate = new X509Certificate(chain[1]!);
    expect(leaf.verify(intermediate.publicKey)).toBe(true);
    expect(intermediate.verify(root.publicKey)).toBe(true);
    for (const r of [r1, r2])
      await expect(issue(r, first)).rejects.toMatchObject({ code: 'SY_PKI_UNAUTHENTICATED' });

    expect((await issue(r1, await token())).identity).toBe(WEB);

    // One token raced on both replicas at once: exactly one certificate.
    const raced = await token();
    const outcomes = await Promise.allSettled([issue(r1, raced), issue(r2, raced)]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: 'SY_PKI_UNAUTHENTICATED' });
  });

  it('refuses option mistakes of the shared CA with exit code 2', async () => {
    const noNats = await runMain('control-plane', '--ca-dir', '/nonexistent', '--ca-store', 'jetstream');
    expect(noNats).toMatchObject({ code: 2 });
    expect(noNats.stderr).toMatch(/--ca-store jetstream needs --nats/);
    const bogus = await runMain('control-plane', '--ca-dir', '/nonexistent', '--ca-store', 'vault');
    expect(bogus.stderr).toMatch(/--ca-store: "vault" is neither jetstream nor file/);
    const neither = await runMain('certs', 'token', '--identity', WEB);
    expect(neither).toMatchObject({ code: 2 });
    expect(neither.stderr).toMatch(/needs --ca-dir or --nats/);
  });

  it('has one leader; after a SIGKILL of it the other leads within the lease TTL, and GitOps writes once', async () => {
    await waitFor(
      async () => {
        const s = await Promise.all(replicas.map((r) => leaderOf(r, bundle)));
        return s.every((x) => x.known && x.leader && x.leader === s[0]!.leader);
      },
      20_000,
      'both replicas agree on a leader',
    );
    const statuses = await Promise.all(replicas.map((r) => leaderOf(r, bundle)));
    expect(statuses.filter((s) => s.held)).toHaveLength(1);
    const leader = replicas.find((r) => r.name === statuses[0]!.leader)!;
    const survivor = replicas.find((r) => r !== leader)!;
    const before = statuses[0]!.token!;
    const history = async () =>
      (
        await adminGet<{ revisions: unknown[] }>(
          survivor.adminPort,
          '/api/v1/namespaces/default/policies/resnet/history',
          bundle,
        )
      ).revisions.length;
    // The directory's policy reached the store once, by the leader.
    await waitFor(async () => (await history().catch(() => 0)) >= 1, 20_000, 'the policy in the store');
    expect(await history()).toBe(1);
    expect(survivor.proc.stderr).not.toMatch(/policy directory synced to the store/);

    const killedAt = Date.now();
    leader.proc.kill();
    await leader.proc.exited;
    let after: Awaited<ReturnType<typeof leaderOf>> | undefined;
    await waitFor(
      async () => {
        after = await leaderOf(survivor, bundle);
        return after.held;
      },
      LEASE_TTL_MS * 5,
      'the survivor leads',
    );
    const gap = Date.now() - killedAt;
    process.stdout.write(
      `leader SIGKILLed: ${survivor.name} leads after ${gap} ms (lease TTL ${LEASE_TTL_MS} ms)\n`,
    );
    expect(after!.token).toBe(before + 1);
    expect(after!.leader).toBe(survivor.name);
    // Within the lease's TTL plus one follower retry (TTL / 3) and slack for a loaded machine.
    expect(gap).toBeLessThan(LEASE_TTL_MS + LEASE_TTL_MS / 3 + 2000);

    // The sync now runs on the survivor: a changed file is written once, as one new revision.
    await writeFile(join(policyDir, 'resnet.yaml'), modelRouteYaml('resnet', { v1: [100, 9002] }));
    await waitFor(async () => (await history()) >= 2, 20_000, 'the change in the store');
    await new Promise((r) => setTimeout(r, 500)); // a second writer would land within this
    expect(await history()).toBe(2);
    await waitFor(
      () => /policy directory synced to the store/.test(survivor.proc.stderr),
      5000,
      'the survivor logs its sync',
    );
  });
});
