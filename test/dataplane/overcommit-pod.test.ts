// Overcommit on a managed pod over a real nats-server with JetStream: three versions of the
// 50 MB MLP assigned to a pod whose --memory-limit holds two (2.99x the file: every version
// measures at least its file), PodAssignments sent by hand (the placer's part:
// control-plane/placement/placer.test.ts covers its bound), real grpc-js and HTTP calls, every
// answer compared with ONNX Runtime run directly in this process. Versions 1 and 2 are in each
// pod's cache already, written by the pod's own cache code, as a restarted pod finds them (their
// objects are not in the store, so a pod that loads them used the cache); version 3 is published
// as the registry does and downloaded: that is the standby path's make before break. Downloads
// themselves are covered by managed-pod.test.ts (each 50 MB one takes seconds here).
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactCache } from '../../data-plane/managed/artifact-cache.js';
import { ensureModelRepository } from '../../data-plane/models/generate.js';
import { Pod, type PodOptions } from '../../data-plane/pod.js';
import { encodeAssignments, podSubjects } from '../../kernel/contract/index.js';
import { KeyEncryptionKey } from '../../kernel/crypto/index.js';
import { ModelState, type PodRegistration } from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
import { type AssignedInit, publishArtifact, unpublishedAssignment } from '../helpers/artifacts.js';
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

/** In each pod's cache before it starts (see the header). */
const CACHED = ['1', '2'];

describe('managed pod with overcommit: standby versions, load on demand, LRU unload', () => {
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
    const cache = new ArtifactCache(cacheDir);
    for (const a of artifacts.filter((x) => CACHED.includes(x.version!)))
      await cache.store('mlp', a.version!, mlp, '', a.digest!);
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

  async function infer(w: World, version: string, seed: number, deadlineMs?: number): Promise<void> {
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

  /** KServe's ModelReady, over gRPC and REST (200 or 503 with the same flag; 404 is unknown). */
  async function modelReady(w: World, version: string): Promise<boolean> {
    const grpcReady = (await w.client.call<{ ready: boolean }>('modelReady', { name: 'mlp', version })).ready;
    const res = await fetch(`http://127.0.0.1:${w.pod.ports.http}/v2/models/mlp/versions/${version}/ready`);
    expect([200, 503]).toContain(res.status);
    const body = (await res.json()) as { ready: boolean };
    expect(body.ready).toBe(res.status === 200);
    expect(body.ready).toBe(grpcReady);
    return grpcReady;
  }

  /** KServe's ModelMetadata over gRPC and REST (which must agree), for one version. */
  async function metadata(w: World, version: string): Promise<Record<string, unknown>> {
    const grpc = await w.client.call<{
      name: string;
      versions: string[];
      inputs: unknown[];
      outputs: unknown[];
    }>('modelMetadata', { name: 'mlp', version });
    const res = await fetch(`http://127.0.0.1:${w.pod.ports.http}/v2/models/mlp/versions/${version}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { name: string; versions: string[]; inputs: { name: string }[] };
    expect(body.name).toBe(grpc.name);
    expect(body.versions).toEqual(grpc.versions);
    expect(body.inputs.map((t) => t.name)).toEqual((grpc.inputs as { name: string }[]).map((t) => t.name));
    return {
      grpc: { name: grpc.name, versions: grpc.versions, inputs: grpc.inputs, outputs: grpc.outputs },
      rest: body,
    };
  }

  /** A REST request bounded by the pod's deadline header: the status and the body. */
  async function restInfer(w: World, version: string, seed: number, timeoutMs: number) {
    const x = inputRows(1, WIDTH, seed);
    const res = await fetch(`http://127.0.0.1:${w.pod.ports.http}/v2/models/mlp/versions/${version}/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-timeout-ms': String(timeoutMs) },
      body: JSON.stringify({
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, WIDTH], data: [...x] }],
      }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, x };
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
    for (const version of VERSIONS) {
      const a = { name: 'mlp', version, plain: mlp };
      artifacts.push(
        CACHED.includes(version)
          ? await unpublishedAssignment(kek, a)
          : await publishArtifact(admin, BUCKET, kek, a),
      );
    }
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
    // READY for routing, but not loaded: KServe's ModelReady says so (the loaded ones are ready).
    expect(await modelReady(on, '3')).toBe(false);
    expect(await modelReady(on, '1')).toBe(true);
    // Its metadata answers before its first load, from the signature read as it went on standby:
    // the same as the loaded version of the same file, listing both; asking does not load it.
    const meta3 = await metadata(on, '3');
    expect(meta3).toEqual(await metadata(on, '1'));
    expect((meta3.rest as { versions: string[] }).versions).toContain('3');
    expect((meta3.rest as { versions: string[] }).versions).toContain('1');
    expect(standby(on, '3')).toBe(true);
    expect(await counter(on, 'switchyard_pod_ondemand_loads_total', { version: '3' })).toBe(0);
    // What the limit promises: a load is admitted when what is held (measured) plus its file
    // size, the least it can take, fits; version 2 came after version 1 was measured, and is
    // loaded exactly when that fits (else on standby). What a version measures after its load is
    // the process's RSS delta, noisy on a busy machine (51 to 82 MiB for this 48 MiB file here),
    // so the sum of the figures is printed, not bound.
    const m1 = on.pod.models.get('mlp', '1')!.memoryBytes!;
    expect(loaded(on, '2')).toBe(m1 + mlp.length <= limit);
    expect(standby(on, '2')).toBe(!loaded(on, '2'));
    const held = on.pod.models.list().map((s) => `${s.version}: ${s.memoryBytes}`);
    console.info(`[overcommit] limit ${limit} bytes, measured after loading: ${held.join(', ')}`);
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

  it('a request for a standby version waits for its load within its deadline and is answered; the least recently used idle one is unloaded', async () => {
    // Use what is loaded in order, so version 1 is the least recently used.
    const before = VERSIONS.filter((v) => loaded(on, v));
    for (const v of before) await infer(on, v, Number(v));
    expect(standby(on, '3')).toBe(true);
    // The request arrives while version 3 is not loaded; its 2-minute deadline bounds the wait.
    await infer(on, '3', 30, 120_000);
    expect(loaded(on, '3')).toBe(true);
    expect(await modelReady(on, '3')).toBe(true);
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
    // The evicted version is still READY (routable) and on standby in the registration, and
    // not ready to KServe until a request loads it again.
    const r = await reg(on.pod.podId, (x) => x.models.some((m) => m.version === '1' && m.standby));
    expect(r.models.find((m) => m.version === '1')!.state).toBe(ModelState.READY);
    expect(await modelReady(on, '1')).toBe(false);
    // Unloaded to standby, its metadata still answers, from the signature of its load.
    expect(await metadata(on, '1')).toEqual(await metadata(on, '3'));
    expect(standby(on, '1')).toBe(true);
  }, 240_000);

  it('shares one load between concurrent gRPC and REST requests for a standby version', async () => {
    const loads = () =>
      counter(on, 'switchyard_pod_ondemand_loads_total', { version: '1', result: 'loaded' });
    const waited = () =>
      counter(on, 'switchyard_pod_ondemand_load_wait_seconds', { version: '1', result: 'loaded' });
    const [wasLoads, wasWaited] = [await loads(), await waited()];
    expect(standby(on, '1')).toBe(true);
    // Over REST the pod's deadline header bounds the wait; the answer is the model's.
    const [, , rest] = await Promise.all([
      infer(on, '1', 11),
      infer(on, '1', 12),
      restInfer(on, '1', 13, 120_000),
    ]);
    expect(rest.status).toBe(200);
    const out = (rest.body.outputs as { data: number[] }[])[0]!.data;
    expectClose(Float32Array.from(out), await reference.run(rest.x, [1, WIDTH]));
    expect(await loads()).toBe(wasLoads + 1);
    expect(await waited()).toBe(wasWaited + 3);
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
    const res = await restInfer(on, other, 41, 100);
    if (loaded(on, other)) expect(res.status).toBe(200);
    else {
      expect(res.status).toBe(504);
      expect(res.body.error).toMatch(/waiting for model mlp version \d to load on demand/);
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
