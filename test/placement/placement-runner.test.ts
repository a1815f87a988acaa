// The placement runner on a real nats-server: fake managed pods (NATS clients speaking the pod
// contract) receive their assignments, a silent pod's versions move elsewhere, the placement
// records land in KV, and a second runner takes over from a crashed leader with the same
// assignments.
import { jetstream } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEADER_GROUP, Lease, openLeaseBucket } from '../../control-plane/lease/index.js';
import { PlacementRunner } from '../../control-plane/placement/placement-runner.js';
import { parsePolicyFile } from '../../control-plane/policy/index.js';
import { memoryLogger } from '../../kernel/log/index.js';
import { NatsServer } from '../helpers/nats-server.js';
import { FakeManagedPod } from './fake-pods.js';

/** `what` may be a function: what it says is worked out at the timeout (the state then). */
async function until(
  cond: () => boolean | Promise<boolean>,
  ms: number,
  what: string | (() => string),
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline)
      throw new Error(`not within ${ms} ms: ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const routes = (min: number) =>
  parsePolicyFile(
    `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: fraud }
spec:
  model: fraud
  versions:
    - { name: v2, model: { registry: "fraud:2" }, replicas: { min: ${min}, max: 4 } }
`,
    'fraud.yaml',
  );

function catalogRecord(name: string, version: string, regions: string[] = []) {
  return JSON.stringify({
    name,
    version,
    namespace: 'default',
    digest: `sha256:${'ab'.repeat(32)}`,
    sizeBytes: 10 * 1024 * 1024,
    objectName: `${name}/${version}`,
    sealedDataKey: 'sealed-key-text',
    regions,
    stage: 'none',
  });
}

describe('placement runner', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  const pods: FakeManagedPod[] = [];
  const runners: PlacementRunner[] = [];
  const leases: Lease[] = [];

  beforeAll(async () => {
    nats = await NatsServer.start();
    nc = await connect(nats.connectOptions());
  });
  afterAll(async () => {
    for (const r of runners) await r.stop().catch(() => undefined);
    for (const l of leases) await l.stop({ release: false }).catch(() => undefined);
    for (const p of pods) await p.crash().catch(() => undefined);
    await nc?.close();
    await nats?.cleanup();
  });

  async function catalog(prefix: string): Promise<KV> {
    const kv = await new Kvm(jetstream(nc)).create(`${prefix}_models`, { history: 1 });
    await kv.put('fraud.2', catalogRecord('fraud', '2'));
    return kv;
  }

  async function record(prefix: string, key: string): Promise<Record<string, unknown> | undefined> {
    const kv = await new Kvm(jetstream(nc)).open(`${prefix}_placement`);
    const e = await kv.get(key);
    return e?.value.length ? e.json<Record<string, unknown>>() : undefined;
  }

  it('assigns a registry version to two pods in two zones, records it, and re-places a silent pod within 10 s', async () => {
    const prefix = 'pl1';
    await catalog(prefix);
    const registry = new Registry();
    const log = memoryLogger();
    const runner = new PlacementRunner({
      nc,
      log,
      storePrefix: prefix,
      registry,
      tickMs: 200,
    });
    runners.push(runner);
    await runner.start();
    const [a1, a2, b1] = await Promise.all(
      [
        { podId: 'pl1-a1', zone: 'a' },
        { podId: 'pl1-a2', zone: 'a' },
        { podId: 'pl1-b1', zone: 'b' },
      ].map((s) => FakeManagedPod.start(nats, s)),
    );
    pods.push(a1!, a2!, b1!);
    // Every pod known to the runner (it has sent each its assignments, empty so far) before the
    // version is wanted: placement keeps a replica where it is, so a pod that reports after the
    // first placement is not given one to spread the version over zones. A loaded host started
    // the zone-b pod late and both replicas went to zone a (seen in a full run).
    await until(
      () => [a1!, a2!, b1!].every((p) => p.received.length > 0),
      30_000,
      () => `every pod known (${[a1!, a2!, b1!].map((p) => `${p.received.length} messages`).join(', ')})`,
    );
    runner.setRoutes(routes(2));
    await until(
      () =>
        b1!.assigned.includes('fraud:2') &&
        (a1!.assigned.includes('fraud:2') || a2!.assigned.includes('fraud:2')),
      // The goal in the title is the re-placement's; the first placement waits on three pods
      // starting and reporting, which a loaded host stretches past 10 s (seen in a full run).
      30_000,
      // A slow first placement in a full run: what each pod was sent and what the runner logged.
      () =>
        `two pods assigned (${[a1!, a2!, b1!].map((p) => `${p.received.length} messages, assigned [${p.assigned.join(', ')}]`).join('; ')}; runner log: ${log.lines.slice(-12).join(' | ')})`,
    );
    const holders = [a1!, a2!, b1!].filter((p) => p.assigned.includes('fraud:2'));
    expect(holders).toHaveLength(2);
    const sent = b1!.received.at(-1)!.versions[0]!;
    expect(sent).toMatchObject({
      model: 'fraud',
      version: '2',
      objectName: 'fraud/2',
      sealedDataKey: 'sealed-key-text',
      sizeBytes: 10n * 1024n * 1024n,
    });
    expect(sent.digest).toMatch(/^sha256:/);

    // Ready reports flow into the record (what EDS lists is discovery's, from the same reports).
    for (const p of holders) p.setReady('fraud:2');
    await until(
      async () => ((await record(prefix, 'fraud.2'))?.ready as string[] | undefined)?.length === 2,
      30_000,
      'record shows two ready',
    );
    const rec = (await record(prefix, 'fraud.2'))!;
    expect(rec).toMatchObject({ desiredReplicas: 2, min: 2, max: 4 });
    expect([...(rec.assigned as string[])].sort()).toEqual(holders.map((p) => p.spec.podId).sort());
    expect(await registry.getSingleMetricAsString('switchyard_version_desired_replicas')).toContain(
      'switchyard_version_desired_replicas{model="fraud",version="2"} 2',
    );

    // Republished every few seconds even without a change (a pod that missed one catches up).
    const before = b1!.received.length;
    await until(() => b1!.received.length > before, 20_000, 'periodic republish');
    expect(b1!.received.at(-1)!.revision).toBe(b1!.received.at(-2)!.revision);

    // A holder in zone a goes silent: the other zone-a pod takes its replica within 10 s.
    const victim = holders.find((p) => p.spec.zone === 'a')!;
    const spare = [a1!, a2!].find((p) => p !== victim)!;
    const crashedAt = Date.now();
    await victim.crash();
    await until(() => spare.assigned.includes('fraud:2'), 10_000, 'replica re-placed');
    const took = Date.now() - crashedAt;
    expect(took).toBeLessThan(10_000);
    console.log(`re-placed ${took} ms after the pod went silent`);
    expect(runner.snapshot().versions[0]).toMatchObject({
      key: 'fraud.2',
      assigned: [spare.spec.podId, 'pl1-b1'].sort(),
    });
    // Pod subjects are not per installation: stop before the next test's pods appear.
    for (const r of runners.splice(0)) await r.stop();
    for (const p of pods.splice(0)) await p.crash();
  }, 120_000); // outlasts the waits inside it (30 + 30 + 20 + 10 s)

  it('reports, per pod, why a version cannot be placed, and a version the registry lacks', async () => {
    const prefix = 'pl2';
    const kv = await catalog(prefix);
    await kv.put('fraud.2', catalogRecord('fraud', '2', ['ae-north']));
    const registry = new Registry();
    const runner = new PlacementRunner({
      nc,
      log: memoryLogger(),
      storePrefix: prefix,
      registry,
      tickMs: 200,
    });
    runners.push(runner);
    await runner.start();
    const pod = await FakeManagedPod.start(nats, { podId: 'pl2-a', zone: 'a', region: 'eu-west' });
    pods.push(pod);
    const both = parsePolicyFile(
      `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: fraud }
spec:
  model: fraud
  versions:
    - { name: v2, weight: 50, model: { registry: "fraud:2" } }
    - { name: v3, weight: 50, model: { registry: "fraud:3" } }
`,
      'fraud.yaml',
    );
    runner.setRoutes(both);
    await until(
      async () =>
        (await record(prefix, 'fraud.3')) !== undefined && (await record(prefix, 'fraud.2')) !== undefined,
      10_000,
      'records written',
    );
    expect((await record(prefix, 'fraud.2'))!.unplaced).toMatchObject({
      reason: 'region',
      pods: { 'pl2-a': 'region eu-west not in [ae-north]' },
    });
    expect((await record(prefix, 'fraud.3'))!.unplaced).toMatchObject({ reason: 'not-in-registry' });
    const text = await registry.getSingleMetricAsString('switchyard_placement_unplaced');
    expect(text).toContain('switchyard_placement_unplaced{reason="region"} 1');
    expect(text).toContain('switchyard_placement_unplaced{reason="not-in-registry"} 1');
    await until(() => pod.received.length > 0, 10_000, 'empty assignment sent');
    expect(pod.assigned).toEqual([]);
    // Pod subjects are not per installation: stop before the next test's pods appear.
    for (const r of runners.splice(0)) await r.stop();
    for (const p of pods.splice(0)) await p.crash();
  });

  it('places once the registry creates the catalog bucket after the runner started', async () => {
    const prefix = 'pl4';
    const runner = new PlacementRunner({ nc, log: memoryLogger(), storePrefix: prefix, tickMs: 100 });
    runners.push(runner);
    await runner.start();
    runner.setRoutes(routes(1));
    const pod = await FakeManagedPod.start(nats, { podId: 'pl4-a', zone: 'a' });
    pods.push(pod);
    await until(async () => (await record(prefix, 'fraud.2')) !== undefined, 10_000, 'first record');
    expect((await record(prefix, 'fraud.2'))!.unplaced).toMatchObject({ reason: 'not-in-registry' });
    await catalog(prefix);
    await until(() => pod.assigned.includes('fraud:2'), 15_000, 'placed after the catalog appeared');
    for (const r of runners.splice(0)) await r.stop();
    for (const p of pods.splice(0)) await p.crash();
  });

  it('starts when the catalog cannot be read, says so, and keeps trying', async () => {
    // A replica whose NATS user may not read the catalog's stream info (the open checks that
    // the bucket exists): the runner starts, warns, and tries again on its tick.
    const prefix = 'pl6';
    await catalog(prefix);
    const creds = await nats.addUser({
      user: 'no-catalog',
      publish: { deny: [`$JS.API.STREAM.INFO.KV_${prefix}_models`] },
    });
    const limited = await connect({ servers: nats.url, ...creds });
    const log = memoryLogger();
    const runner = new PlacementRunner({ nc: limited, log, storePrefix: prefix, tickMs: 100 });
    try {
      await runner.start();
      await until(
        () => log.records.filter((r) => r.msg === 'placement: catalog unreadable').length >= 2,
        10_000,
        'two warnings: at start and on a later tick',
      );
    } finally {
      await runner.stop();
      await limited.close();
    }
  });

  it('acts at once on a version becoming placeable and on a READY report, not on the debounce', async () => {
    // The ordinary debounce is a minute here, and the pods heartbeat every 200 ms: a run that
    // waited for it would not come within the test's deadlines. Placement must react to the
    // catalog's write and to the registration reporting READY by themselves.
    const prefix = 'pl5';
    const kv = await new Kvm(jetstream(nc)).create(`${prefix}_models`, { history: 1 });
    const runner = new PlacementRunner({
      nc,
      log: memoryLogger(),
      storePrefix: prefix,
      tickMs: 100,
      debounceMs: 60_000,
    });
    runners.push(runner);
    await runner.start();
    runner.setRoutes(routes(1));
    const pod = await FakeManagedPod.start(nats, { podId: 'pl5-a', zone: 'a' });
    pods.push(pod);
    await until(async () => (await record(prefix, 'fraud.2')) !== undefined, 10_000, 'first record');
    expect((await record(prefix, 'fraud.2'))!.unplaced).toMatchObject({ reason: 'not-in-registry' });
    const pushedAt = Date.now();
    await kv.put('fraud.2', catalogRecord('fraud', '2'));
    await until(() => pod.assigned.includes('fraud:2'), 10_000, 'assigned once placeable');
    const assignedMs = Date.now() - pushedAt;
    const readyAt = Date.now();
    pod.setReady('fraud:2');
    await until(
      async () => ((await record(prefix, 'fraud.2'))?.ready as string[] | undefined)?.length === 1,
      10_000,
      'record shows it ready',
    );
    console.log(`placeable -> assigned ${assignedMs} ms; READY -> recorded ${Date.now() - readyAt} ms`);
    for (const r of runners.splice(0)) await r.stop();
    for (const p of pods.splice(0)) await p.crash();
  });

  it('hands placement to another replica when the leader dies, which publishes the same assignments', async () => {
    const prefix = 'pl3';
    await catalog(prefix);
    const leaseKv = await openLeaseBucket(nc, { prefix });
    const ncs = await Promise.all([0, 1].map(() => connect(nats.connectOptions())));
    const make = async (holder: string, c: NatsConnection) => {
      const lease = new Lease({ kv: leaseKv, group: LEADER_GROUP, holder, ttlMs: 1500 });
      leases.push(lease);
      await lease.start();
      const runner = new PlacementRunner({
        nc: c,
        log: memoryLogger(),
        storePrefix: prefix,
        lease,
        tickMs: 100,
      });
      runners.push(runner);
      await runner.start();
      runner.setRoutes(routes(2));
      return { lease, runner };
    };
    const first = await make('one', ncs[0]!);
    const second = await make('two', ncs[1]!);
    const [leader, follower] = first.lease.isHeld() ? [first, second] : [second, first];
    const fleet = await Promise.all(
      ['a', 'b', 'c'].map((z) => FakeManagedPod.start(nats, { podId: `pl3-${z}`, zone: z })),
    );
    pods.push(...fleet);
    await until(
      () => fleet.filter((p) => p.assigned.includes('fraud:2')).length === 2,
      10_000,
      'two assigned',
    );
    expect(follower.runner.runs).toBe(0);
    const before = fleet.map((p) => p.assigned);
    const lastRevision = Math.max(...fleet.map((p) => Number(p.received.at(-1)?.revision ?? 0n)));

    // The leader crashes: no release, no more renewals, no more publishing.
    await leader.runner.stop();
    await leader.lease.stop({ release: false });
    await ncs[leader === first ? 0 : 1]!.close();
    const diedAt = Date.now();
    await until(() => follower.runner.runs > 0, 15_000, 'follower takes over');
    const counts = fleet.map((p) => p.received.length);
    await until(() => fleet.every((p, i) => p.received.length > counts[i]!), 10_000, 'new leader publishes');
    console.log(`takeover published ${Date.now() - diedAt} ms after the leader died`);
    expect(fleet.map((p) => p.assigned)).toEqual(before);
    // Revisions never go back: a pod keeps the newer of two leaders' lists.
    for (const p of fleet) expect(Number(p.received.at(-1)!.revision)).toBeGreaterThanOrEqual(lastRevision);
    expect(follower.lease.isHeld()).toBe(true);
    await ncs[leader === first ? 1 : 0]!.close();
  });
});
