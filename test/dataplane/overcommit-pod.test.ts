// Overcommit on a managed pod over a real nats-server with JetStream: three versions of the
// 50 MB MLP assigned to a pod whose --memory-limit holds two (2.99x the file: every version
// measures at least its file), artifacts published as the registry does, PodAssignments sent by
// hand (the placer's part: control-plane/placement/placer.test.ts covers its bound), real grpc-js
// and HTTP calls, every answer compared with ONNX Runtime run directly in this process.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureModelRepository } from '../../data-plane/models/generate.js';
import { Pod, type PodOptions } from '../../data-plane/pod.js';
import { encodeAssignments, podSubjects } from '../../kernel/contract/index.js';
import { KeyEncryptionKey } from '../../kernel/crypto/index.js';
import { ModelState, type PodRegistration } from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
import { type AssignedInit, publishArtifact } from '../helpers/artifacts.js';
import { managedPodUser, NatsServer } from '../helpers/nats-server.js';
import {
  expectClose,
  f32Bytes,
  f32Of,
  inputRows,
  KServeClient,
  ReferenceSession,
  testPodOptions,
  waitFor,
} from './harness.js';
import { PodListener } from './pod-listener.js';

const BUCKET = 'switchyard_artifacts';
const WIDTH = 1024;
const VERSIONS = ['1', '2', '3'];

interface World {
  pod: Pod;
  client: KServeClient;
  revision: bigint;
}

// Not yet part of `make test`: on the shared 2-core machine the suite has not finished (it waits
// without output past its own timeouts); docs/DATAPLANE.md, "Overcommit", says what is verified.
const RUN = process.env.SWITCHYARD_OVERCOMMIT_E2E === '1';
if (!RUN)
  console.info(
    '[overcommit suite] skipped: set SWITCHYARD_OVERCOMMIT_E2E=1 to run it; it does not finish on this machine yet (docs/DATAPLANE.md, "Overcommit")',
  );

describe.skipIf(!RUN)('managed pod with overcommit: standby versions, load on demand, LRU unload', () => {
  let nats: NatsServer;
  let admin: NatsConnection;
  let listener: PodListener;
  let cacheDirs: string[] = [];
  let mlp: Uint8Array;
  let reference: ReferenceSession;
  let artifacts: AssignedInit[];
  let limit: number;
  const kek = KeyEncryptionKey.fromKeyBytes(randomBytes(32), 'test KEK');
  const worlds: World[] = [];

  async function startPod(podId: string, overcommitPercent?: number): Promise<World> {
    const creds = await nats.addUser(managedPodUser(podId, BUCKET));
    const cacheDir = await mkdtemp(join(tmpdir(), 'sy-overcommit-'));
    cacheDirs.push(cacheDir);
    const { modelRepo: _none, ...base } = testPodOptions('');
    const opts: PodOptions = {
      ...base,
      podId,
      nats: { url: nats.url, user: creds.user, pass: creds.pass },
      managed: {
        cacheDir,
        bucket: BUCKET,
        kek,
        memoryLimitBytes: limit,
        ...(overcommitPercent ? { overcommitPercent } : {}),
      },
    };
    const pod = await Pod.start(opts);
    const w = { pod, client: new KServeClient(pod.ports.grpc), revision: 0n };
    worlds.push(w);
    await reg(podId, (r) => r.managed);
    return w;
  }

  async function assign(w: World, versions: AssignedInit[]): Promise<void> {
    w.revision += 1n;
    const podId = w.pod.podId;
    const body = { podId, revision: w.revision, sentAtMs: BigInt(Date.now()), versions };
    admin.publish(podSubjects(podId).assign, encodeAssignments(body));
    await admin.flush();
  }

  const reg = (podId: string, test: (r: PodRegistration) => boolean, from = 0) =>
    listener.next('register', (r) => r.podId === podId && test(r), from, 120_000);

  async function infer(w: World, version: string, seed: number, deadlineMs?: number) {
    const x = inputRows(1, WIDTH, seed);
    const res = await w.client.infer(
      {
        modelName: 'mlp',
        modelVersion: version,
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1n, BigInt(WIDTH)] }],
        rawInputContents: [f32Bytes(x)],
      },
      deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs },
    );
    expect(res.modelVersion).toBe(version);
    expectClose(f32Of(res.rawOutputContents[0]!), await reference.run(x, [1, WIDTH]));
  }

  async function counter(w: World, name: string, labels: Record<string, string>): Promise<number> {
    const got = await w.pod.metrics.registry.getSingleMetric(name)!.get();
    // A histogram's samples: only its _count.
    const histogram = name.endsWith('_seconds');
    return got.values
      .filter((v) => !histogram || (v as { metricName?: string }).metricName === `${name}_count`)
      .filter((v) => Object.entries(labels).every(([k, x]) => String(v.labels[k]) === x))
      .reduce((n, v) => n + v.value, 0);
  }

  const loaded = (w: World, v: string) => w.pod.models.get('mlp', v)?.state === 'ready';
  const standby = (w: World, v: string) => w.pod.managed!.overcommit!.isStandby('mlp', v);

  beforeAll(async () => {
    nats = await NatsServer.start();
    admin = await connect(nats.connectOptions());
    listener = await PodListener.start(nats.connectOptions());
    const path = join(await ensureModelRepository(), 'mlp', '1', 'model.onnx');
    mlp = new Uint8Array(await readFile(path));
    reference = await ReferenceSession.open(path);
    // Two fit (each measures at least its file, at most about twice it), three never do.
    limit = Math.floor(mlp.length * 2.99);
    artifacts = [];
    for (const version of VERSIONS)
      artifacts.push(await publishArtifact(admin, BUCKET, kek, { name: 'mlp', version, plain: mlp }));
  }, 120_000);

  afterAll(async () => {
    for (const w of worlds) {
      w.client.close();
      await w.pod.close();
    }
    await reference?.close();
    await listener?.close();
    await admin?.close();
    await nats?.cleanup();
    for (const d of cacheDirs) await rm(d, { recursive: true, force: true });
    cacheDirs = [];
  });

  let on: World;

  it('holds all three assigned: what does not fit is on standby, READY, cached and verified', async () => {
    on = await startPod('overcommit-on', 100);
    const from = listener.messages.length;
    await assign(on, artifacts);
    const r = await reg(
      on.pod.podId,
      (x) => x.models.filter((m) => m.state === ModelState.READY).length === 3,
      from,
    );
    await on.pod.managed!.settled();
    expect(r.overcommitPercent).toBe(100);
    // Version 3 never fits beside two others; version 1 always loads first and fits alone.
    expect(standby(on, '3')).toBe(true);
    expect(loaded(on, '1')).toBe(true);
    const reported = r.models.find((m) => m.version === '3')!;
    expect(reported.standby).toBe(true);
    expect(reported.digest).toBe(artifacts[2]!.digest);
    expect(r.models.find((m) => m.version === '1')!.standby).toBe(false);
    // Make before break: the standby version's artifact is in the cache byte for byte. Compared
    // as buffers: toEqual walks a typed array through Object.entries, which for 50 MB allocates
    // gigabytes inside one native call and blocks the worker (timeouts included) for minutes.
    const cached = await readFile(join(cacheDirs[0]!, 'mlp', '3', 'model.onnx'));
    expect(cached.length).toBe(mlp.length);
    expect(Buffer.compare(cached, mlp)).toBe(0);
    // Loaded memory stays within the limit.
    const held = on.pod.models.list().reduce((n, s) => n + (s.memoryBytes ?? 0), 0);
    expect(held).toBeLessThanOrEqual(limit);
    const hb = await listener.next(
      'heartbeat',
      (h) => h.podId === on.pod.podId && h.models.length === 3,
      listener.messages.length,
      30_000,
    );
    const load3 = hb.models.find((m) => m.version === '3')!;
    expect(load3.ready).toBe(true);
    expect(load3.memoryBytes).toBe(0n);
  }, 240_000);

  it('loads a standby version for its request, unloading the least recently used idle one', async () => {
    // Use what is loaded in order, so version 1 is the least recently used.
    const before = VERSIONS.filter((v) => loaded(on, v));
    for (const v of before) await infer(on, v, Number(v));
    await infer(on, '3', 30);
    expect(loaded(on, '3')).toBe(true);
    expect(standby(on, '3')).toBe(false);
    expect(loaded(on, '1')).toBe(false);
    expect(standby(on, '1')).toBe(true);
    expect(await counter(on, 'switchyard_pod_lru_unloads_total', { version: '1' })).toBe(1);
    expect(await counter(on, 'switchyard_pod_ondemand_loads_total', { version: '3', result: 'loaded' })).toBe(
      1,
    );
    expect(
      await counter(on, 'switchyard_pod_ondemand_load_wait_seconds', { version: '3', result: 'loaded' }),
    ).toBe(1);
    // The evicted version is still READY (routable) and on standby in the registration.
    const r = await reg(on.pod.podId, (x) => x.models.some((m) => m.version === '1' && m.standby));
    expect(r.models.find((m) => m.version === '1')!.state).toBe(ModelState.READY);
  }, 240_000);

  it('shares one load between concurrent requests for a standby version', async () => {
    const loads = () =>
      counter(on, 'switchyard_pod_ondemand_loads_total', { version: '1', result: 'loaded' });
    const was = await loads();
    await Promise.all([11, 12, 13].map((seed) => infer(on, '1', seed)));
    expect(await loads()).toBe(was + 1);
    expect(loaded(on, '1')).toBe(true);
  }, 240_000);

  it('answers DEADLINE_EXCEEDED (gRPC) and 504 (REST) when the load does not finish in time; the load goes on', async () => {
    const target = await waitFor('a standby version', () => VERSIONS.find((v) => standby(on, v)));
    const err = await infer(on, target, 40, 150).then(
      () => undefined,
      (e: { code: number }) => e,
    );
    expect(err?.code).toBe(4);
    // REST has no deadline of its own: the header bounds the wait, and the answer says why.
    const other = VERSIONS.find((v) => v !== target && standby(on, v)) ?? target;
    const res = await fetch(`http://127.0.0.1:${on.pod.ports.http}/v2/models/mlp/versions/${other}/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-timeout-ms': '100' },
      body: JSON.stringify({
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, WIDTH], data: [...inputRows(1, WIDTH, 41)] }],
      }),
    });
    if (loaded(on, other)) expect(res.status).toBe(200);
    else {
      expect(res.status).toBe(504);
      const body = (await res.json()) as { error: string };
      expect(body.error).toMatch(/waiting for model mlp version \d to load on demand/);
    }
    expect(
      await counter(on, 'switchyard_pod_ondemand_load_wait_seconds', { version: target, result: 'deadline' }),
    ).toBeGreaterThanOrEqual(1);
    // The load was not abandoned with the request: the version comes up and answers.
    await waitFor('the load to finish', () => loaded(on, target) || loaded(on, other), 120_000);
    await on.pod.managed!.settled();
  }, 240_000);

  it('never unloads a version with a request in flight, even the least recently used one', async () => {
    await on.pod.managed!.settled();
    const [busy, idle] = VERSIONS.filter((v) => loaded(on, v));
    const cold = VERSIONS.find((v) => standby(on, v))!;
    expect(busy).toBeDefined();
    // Every time the busy version starts unloading, what it has queued or running is recorded.
    const seen: number[] = [];
    const off = on.pod.models.onChange(() => {
      const s = on.pod.models.get('mlp', busy!);
      if (s?.state === 'unloading') seen.push((s.batcher?.inFlight ?? 0) + (s.batcher?.queueDepth ?? 0));
    });
    try {
      // The busy version is the least recently used, then holds a slow request.
      await infer(on, busy!, 48);
      if (idle) await infer(on, idle, 49);
      on.pod.setInjectDelay(3000);
      const slow = infer(on, busy!, 50);
      await waitFor('a run in flight', () => (on.pod.models.get('mlp', busy!)?.batcher?.inFlight ?? 0) >= 1);
      on.pod.setInjectDelay(0);
      const unloadsIdle = idle ? await counter(on, 'switchyard_pod_lru_unloads_total', { version: idle }) : 0;
      await infer(on, cold, 51);
      await slow;
      // With two loaded, the idle one made room although the busy one was used less recently.
      // (When the measured figures let only one version load, the cold one waited for the busy
      // one to go idle: the invariant below is what holds in both cases.)
      if (idle)
        expect(await counter(on, 'switchyard_pod_lru_unloads_total', { version: idle })).toBe(
          unloadsIdle + 1,
        );
      expect(seen.every((n) => n === 0)).toBe(true);
    } finally {
      off();
      on.pod.setInjectDelay(0);
    }
  }, 240_000);

  it('off (no --overcommit): the version that does not fit is refused and reported, as before', async () => {
    const w = await startPod('overcommit-off');
    const from = listener.messages.length;
    await assign(w, artifacts);
    const r = await reg(w.pod.podId, (x) => x.models.some((m) => m.state === ModelState.FAILED), from);
    await w.pod.managed!.settled();
    expect(r.overcommitPercent).toBe(0);
    expect(r.models.every((m) => !m.standby)).toBe(true);
    const failed = r.models.find((m) => m.version === '3')!;
    expect(failed.state).toBe(ModelState.FAILED);
    expect(failed.failureReason).toMatch(/^memory: model mlp version 3: needs at least/);
    expect(w.pod.managed!.overcommit).toBeUndefined();
    expect(w.pod.service.holds).toBeUndefined();
    const err = await infer(w, '3', 60).then(
      () => undefined,
      (e: { code: number }) => e,
    );
    expect(err?.code).toBe(14);
  }, 240_000);
});
