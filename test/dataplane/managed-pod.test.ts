// Managed pods over a real nats-server with JetStream: artifacts published exactly as the
// registry does (encrypted, data key sealed with the KEK) and PodAssignments sent by hand (the
// placer's part). The pod's NATS user may publish only its own subjects and read one bucket.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadTiming } from '../../data-plane/managed/managed-models.js';
import { ensureModelRepository } from '../../data-plane/models/generate.js';
import { Pod, type PodOptions } from '../../data-plane/pod.js';
import { encodeAssignments, podSubjects } from '../../kernel/contract/index.js';
import { KeyEncryptionKey } from '../../kernel/crypto/index.js';
import { memoryLogger } from '../../kernel/log/index.js';
import { ModelState, type PodRegistration } from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
import { type AssignedInit, publishArtifact } from '../helpers/artifacts.js';
import { managedPodUser, NatsServer } from '../helpers/nats-server.js';
import {
  expectClose,
  f32Bytes,
  f32Of,
  inputRows,
  KServeClient,
  ORCA_REQUEST,
  OrcaClient,
  ReferenceSession,
  testPodOptions,
  waitFor,
} from './harness.js';
import { PodListener } from './pod-listener.js';

const POD = 'managed-a';
const BUCKET = 'switchyard_artifacts';
const IMAGE = 28 * 28;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe('managed pod: assignments in, artifacts down, READY with measured memory', () => {
  let nats: NatsServer;
  let admin: NatsConnection;
  let listener: PodListener;
  let pod: Pod;
  let client: KServeClient;
  let cacheDir: string;
  let convnet: Uint8Array;
  let convnetPath: string;
  let reference: ReferenceSession;
  const kek = KeyEncryptionKey.fromKeyBytes(randomBytes(32), 'test KEK');
  let revision = 0n;
  const timings: LoadTiming[] = [];
  const logs = memoryLogger();

  async function assign(versions: AssignedInit[]): Promise<bigint> {
    revision += 1n;
    admin.publish(
      podSubjects(POD).assign,
      encodeAssignments({ podId: POD, revision, sentAtMs: BigInt(Date.now()), versions }),
    );
    await admin.flush();
    return revision;
  }

  const reg = (test: (r: PodRegistration) => boolean) =>
    listener.next('register', (r) => r.podId === POD && test(r), 0, 30_000);

  beforeAll(async () => {
    nats = await NatsServer.start();
    admin = await connect(nats.connectOptions());
    const creds = await nats.addUser(managedPodUser(POD, BUCKET));
    listener = await PodListener.start(nats.connectOptions());
    cacheDir = await mkdtemp(join(tmpdir(), 'sy-cache-'));
    const repo = await ensureModelRepository();
    convnetPath = join(repo, 'convnet', '1', 'model.onnx');
    convnet = new Uint8Array(await readFile(convnetPath));
    reference = await ReferenceSession.open(convnetPath);
    const { modelRepo: _none, ...base } = testPodOptions('');
    const opts: PodOptions = {
      ...base,
      log: logs,
      podId: POD,
      nats: { url: nats.url, user: creds.user, pass: creds.pass },
      // A grace long enough for a request sent after the drain began to arrive on a loaded machine.
      drain: { graceMs: 1500, timeoutMs: 10_000 },
      managed: { cacheDir, bucket: BUCKET, kek },
    };
    pod = await Pod.start(opts);
    pod.managed!.onLoaded((t) => timings.push(t));
    client = new KServeClient(pod.ports.grpc);
    await reg((r) => r.managed);
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await pod?.close();
    await reference?.close();
    await listener?.close();
    await admin?.close();
    await nats?.cleanup();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  async function inferConvnet(version: string, seed: number): Promise<Float32Array> {
    const x = inputRows(1, IMAGE, seed);
    const res = await client.infer({
      modelName: 'convnet',
      modelVersion: version,
      inputs: [{ name: 'image', datatype: 'FP32', shape: [1n, 1n, 28n, 28n] }],
      rawInputContents: [f32Bytes(x)],
    });
    return f32Of(res.rawOutputContents[0]!);
  }

  it('registers as managed, downloads, verifies and loads an assignment, then reports it READY with its memory', async () => {
    const a = await publishArtifact(admin, BUCKET, kek, { name: 'convnet', version: '7', plain: convnet });
    const rev = await assign([a]);
    const r = await reg((x) => x.models.some((m) => m.model === 'convnet' && m.state === ModelState.READY));
    const m = r.models.find((x) => x.model === 'convnet')!;
    expect(m.version).toBe('7');
    expect(m.digest).toBe(a.digest);
    expect(r.managed).toBe(true);
    const hb = await listener.next(
      'heartbeat',
      (h) => h.podId === POD && h.assignmentRevision === rev && h.models.some((x) => x.ready),
      0,
      30_000,
    );
    const load = hb.models.find((x) => x.model === 'convnet')!;
    expect(load.memoryBytes).toBeGreaterThanOrEqual(BigInt(convnet.length));
    // The decrypted file is in the cache, byte for byte.
    expect(new Uint8Array(await readFile(join(cacheDir, 'convnet', '7', 'model.onnx')))).toEqual(convnet);
    // What the pod answers is what ONNX Runtime answers for the same file directly.
    for (const seed of [1, 2, 3]) {
      const got = await inferConvnet('7', seed);
      expectClose(got, await reference.run(inputRows(1, IMAGE, seed), [1, 1, 28, 28]));
    }
    expect(timings.find((t) => t.version === '7')?.fromCache).toBe(false);
  });

  it('refuses a corrupted artifact (digest mismatch), reports why and keeps nothing in the cache', async () => {
    const current = await publishArtifact(admin, BUCKET, kek, {
      name: 'convnet',
      version: '7',
      plain: convnet,
    });
    const tampered = new Uint8Array(convnet);
    tampered[tampered.length - 1]! ^= 0xff;
    const bad = await publishArtifact(admin, BUCKET, kek, {
      name: 'convnet',
      version: '8',
      plain: convnet,
      storedPlain: tampered,
    });
    await assign([current, bad]);
    const r = await reg((x) => x.models.some((m) => m.version === '8' && m.state === ModelState.FAILED));
    const m = r.models.find((x) => x.version === '8')!;
    expect(m.failureReason).toMatch(/digest mismatch/);
    expect(existsSync(join(cacheDir, 'convnet', '8'))).toBe(false);
    // The version that was fine keeps serving.
    expect(r.models.find((x) => x.version === '7')?.state).toBe(ModelState.READY);
    await expect(inferConvnet('8', 1)).rejects.toMatchObject({ code: 14 });
  });

  it('refuses a version whose regions exclude its own (residency), naming both', async () => {
    const current = await publishArtifact(admin, BUCKET, kek, {
      name: 'convnet',
      version: '7',
      plain: convnet,
    });
    const eu = await publishArtifact(admin, BUCKET, kek, {
      name: 'convnet',
      version: '9',
      plain: convnet,
      regions: ['eu-west', 'eu-central'],
    });
    await assign([current, eu]);
    const r = await reg((x) => x.models.some((m) => m.version === '9' && m.state === ModelState.FAILED));
    const reason = r.models.find((x) => x.version === '9')!.failureReason;
    expect(reason).toMatch(/^residency: /);
    expect(reason).toContain('eu-west, eu-central');
    expect(reason).toContain('test-region');
    expect(existsSync(join(cacheDir, 'convnet', '9'))).toBe(false);
  });

  it('drains an unassigned version (not ready, still answering), then unloads it', async () => {
    const from = listener.messages.length;
    // Slow runs in flight when the assignment goes away: every one of them is answered.
    pod.setInjectDelay(150);
    const inFlight = [5, 6, 7, 8].map((seed) => inferConvnet('7', seed).then((got) => ({ seed, got })));
    // All four admitted and queued or running (one arriving after the grace would be refused
    // with UNAVAILABLE, which a proxy retries elsewhere: by then EDS no longer names this pod).
    await waitFor('runs in flight', () => (pod.models.get('convnet', '7')?.batcher?.inFlight ?? 0) >= 4);
    await assign([]);
    const draining = await listener.next(
      'register',
      (r) => r.podId === POD && r.models.some((m) => m.version === '7' && m.state === ModelState.UNLOADING),
      from,
      30_000,
    );
    expect(draining.models.find((m) => m.version === '7')).toBeDefined();
    // While draining (the grace) it still admits new requests: proxies may not have dropped it
    // from EDS yet. This one queues behind the slow ones and is answered too.
    const late = inferConvnet('7', 4);
    for (const { seed, got } of await Promise.all(inFlight))
      expectClose(got, await reference.run(inputRows(1, IMAGE, seed), [1, 1, 28, 28]));
    expectClose(await late, await reference.run(inputRows(1, IMAGE, 4), [1, 1, 28, 28]));
    pod.setInjectDelay(0);
    const gone = await listener.next(
      'register',
      (r) => r.podId === POD && !r.models.some((m) => m.model === 'convnet'),
      from,
      30_000,
    );
    expect(gone.models).toEqual([]);
    await expect(inferConvnet('7', 1)).rejects.toMatchObject({ code: 5 });
    // The cache keeps the verified file for the next assignment.
    expect(existsSync(join(cacheDir, 'convnet', '7', 'model.onnx'))).toBe(true);
  });

  it('loads again from the cache without downloading (cold load times printed), verifying the file on reuse', async () => {
    const a = await publishArtifact(admin, BUCKET, kek, { name: 'convnet', version: '7', plain: convnet });
    // The version's config.yaml (in the cache since its download) asks for the ORT-format file.
    await writeFile(join(cacheDir, 'convnet', '7', 'config.yaml'), 'session: { optimized_cache: true }\n');
    // Each cycle waits out the drain grace (1.5 s): four show every load from the cache; the
    // benchmark figures for cold loads come from `make bench`, not from here.
    const cycles = 4;
    const before = timings.length;
    for (let i = 0; i < cycles; i++) {
      await assign([a]);
      await waitFor('convnet 7 ready', () => pod.models.get('convnet', '7')?.state === 'ready', 30_000);
      await assign([]);
      await waitFor('convnet 7 unloaded', () => !pod.models.get('convnet', '7'), 30_000);
    }
    const loads = timings.slice(before);
    expect(loads).toHaveLength(cycles);
    expect(loads.every((t) => t.fromCache)).toBe(true);
    const total = loads.map((t) => t.totalMs).sort((x, y) => x - y);
    process.stdout.write(
      `managed pod: cold load from cache of a ${convnet.length}-byte model over ${cycles} loads: ` +
        `p50 ${percentile(total, 50).toFixed(1)} ms, max ${total.at(-1)!.toFixed(1)} ms\n`,
    );
    expect(loads.every((t) => t.fetchMs === 0)).toBe(true);
    // The first load from the cache wrote the pre-optimized ORT-format file; later ones run from
    // it, with the same answers.
    expect(existsSync(join(cacheDir, 'convnet', '7', 'model.ort'))).toBe(true);
    await assign([a]);
    await waitFor(
      'convnet 7 ready from model.ort',
      () => pod.models.get('convnet', '7')?.state === 'ready',
      30_000,
    );
    expect(pod.models.get('convnet', '7')?.pool?.loaded.fromOptimized).toBe(true);
    expectClose(await inferConvnet('7', 9), await reference.run(inputRows(1, IMAGE, 9), [1, 1, 28, 28]));
    await assign([]);
    await waitFor('convnet 7 unloaded', () => !pod.models.get('convnet', '7'), 30_000);
    // A cached file that no longer matches its digest is not served: it is downloaded again.
    const file = join(cacheDir, 'convnet', '7', 'model.onnx');
    const bytes = new Uint8Array(await readFile(file));
    bytes[bytes.length - 1]! ^= 0xff;
    await writeFile(file, bytes);
    const mark = timings.length;
    await assign([a]);
    await waitFor('convnet 7 loaded again', () => timings.length > mark, 30_000);
    expect(timings[mark]!.fromCache).toBe(false);
    expect(new Uint8Array(await readFile(file))).toEqual(convnet);
    expect(pod.models.get('convnet', '7')?.state).toBe('ready');
    await assign([]);
    await waitFor('convnet 7 unloaded', () => !pod.models.get('convnet', '7'), 30_000);
  }, 180_000);

  it('serves each managed version on a port of its own: a version-less request gets that version', async () => {
    const a7 = await publishArtifact(admin, BUCKET, kek, { name: 'convnet', version: '7', plain: convnet });
    const a8 = await publishArtifact(admin, BUCKET, kek, { name: 'convnet', version: '8', plain: convnet });
    const from = listener.messages.length;
    await assign([a7, a8]);
    const r = await listener.next(
      'register',
      (x) =>
        x.podId === POD &&
        x.models.filter((m) => m.model === 'convnet' && m.state === ModelState.READY).length === 2,
      from,
      60_000,
    );
    const portOf = (v: string) => r.models.find((m) => m.version === v)!.grpcPort;
    expect(portOf('7')).toBeGreaterThan(0);
    expect(new Set([portOf('7'), portOf('8'), pod.ports.grpc]).size).toBe(3);
    const ask = async (port: number, modelVersion = '') => {
      const c = new KServeClient(port);
      try {
        const x = inputRows(1, IMAGE, 3);
        const res = await c.infer({
          modelName: 'convnet',
          modelVersion,
          inputs: [{ name: 'image', datatype: 'FP32', shape: [1n, 1n, 28n, 28n] }],
          rawInputContents: [f32Bytes(x)],
        });
        expectClose(f32Of(res.rawOutputContents[0]!), await reference.run(x, [1, 1, 28, 28]));
        return res.modelVersion;
      } finally {
        c.close();
      }
    };
    expect(await ask(portOf('7'))).toBe('7');
    expect(await ask(portOf('8'))).toBe('8');
    // The pod's own port answers a version-less request with the newest; an explicit version wins.
    expect(await ask(pod.ports.grpc)).toBe('8');
    expect(await ask(portOf('8'), '7')).toBe('7');
    // The same over REST on each version's own HTTP port (Envoy's REST clusters dial it).
    const httpPortOf = (v: string) => r.models.find((m) => m.version === v)!.httpPort;
    expect(new Set([httpPortOf('7'), httpPortOf('8'), pod.ports.http]).size).toBe(3);
    const askRest = async (port: number, path = '/v2/models/convnet/infer') => {
      const x = inputRows(1, IMAGE, 3);
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          inputs: [{ name: 'image', datatype: 'FP32', shape: [1, 1, 28, 28], data: [...x] }],
        }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { model_version: string; outputs: { data: number[] }[] };
      expectClose(Float32Array.from(body.outputs[0]!.data), await reference.run(x, [1, 1, 28, 28]));
      return body.model_version;
    };
    expect(await askRest(httpPortOf('7'))).toBe('7');
    expect(await askRest(httpPortOf('8'))).toBe('8');
    expect(await askRest(pod.ports.http)).toBe('8');
    expect(await askRest(httpPortOf('8'), '/v2/models/convnet/versions/7/infer')).toBe('7');
    // An ORCA stream (a least-load client's) open on version 7's port: it never ends on its own
    // and must not hold the port's close.
    const orca = new OrcaClient(`127.0.0.1:${portOf('7')}`, grpc.credentials.createInsecure());
    const metrics = (
      orca as unknown as { streamCoreMetrics(r: Buffer): grpc.ClientReadableStream<Buffer> }
    ).streamCoreMetrics(ORCA_REQUEST);
    metrics.on('error', () => {});
    let orcaEnd: grpc.StatusObject | undefined;
    metrics.on('status', (st: grpc.StatusObject) => {
      orcaEnd = st;
    });
    let reports = 0;
    metrics.on('data', () => reports++);
    await waitFor('an ORCA report on the port of version 7', () => reports > 0, 10_000);
    // Unassigned: out of the registration first, then unloaded, then its port closes.
    const closedLines = () => logs.lines.filter((l) => l.includes(`closed port ${portOf('7')} `)).length;
    const before = listener.messages.length;
    await assign([a8]);
    await listener.next(
      'register',
      (x) => x.podId === POD && !x.models.some((m) => m.model === 'convnet' && m.version === '7'),
      before,
      30_000,
    );
    await waitFor(
      'the port of version 7 closed',
      () => pod.managed!.portOf('convnet', '7') === undefined,
      30_000,
    );
    await expect(ask(portOf('7'))).rejects.toMatchObject({ code: 14 });
    await waitFor('the ORCA stream on the port of version 7 ended', () => orcaEnd !== undefined, 10_000);
    orca.close();
    expect(orcaEnd!.code).toBe(grpc.status.UNAVAILABLE);
    // The graceful close completed (it had waited for ever on the stream).
    await waitFor('the port of version 7 closed completely', () => closedLines() === 1, 10_000);
    await expect(fetch(`http://127.0.0.1:${httpPortOf('7')}/v2/health/live`)).rejects.toThrow();
    await assign([]);
    await waitFor('convnet 8 unloaded', () => !pod.models.get('convnet', '8'), 30_000);
  }, 120_000);

  it('refuses a load that would exceed --memory-limit, with the figures', async () => {
    const { modelRepo: _none, ...base } = testPodOptions('');
    const creds = await nats.addUser(managedPodUser('managed-small', BUCKET));
    const small = await Pod.start({
      ...base,
      podId: 'managed-small',
      nats: { url: nats.url, user: creds.user, pass: creds.pass },
      managed: { cacheDir, bucket: BUCKET, kek, memoryLimitBytes: 16 * 1024 },
    });
    try {
      await listener.next('register', (r) => r.podId === 'managed-small', 0, 30_000);
      const a = await publishArtifact(admin, BUCKET, kek, { name: 'convnet', version: '7', plain: convnet });
      admin.publish(
        podSubjects('managed-small').assign,
        encodeAssignments({ podId: 'managed-small', revision: 1n, versions: [a] }),
      );
      const r = await listener.next(
        'register',
        (x) => x.podId === 'managed-small' && x.models.some((m) => m.state === ModelState.FAILED),
        0,
        30_000,
      );
      expect(r.memoryLimitBytes).toBe(16n * 1024n);
      expect(r.models[0]!.failureReason).toMatch(/^memory: .*needs at least 36\.4 KiB.* of 16\.0 KiB/);
    } finally {
      await small.close();
    }
  });
});
