// Registration and heartbeats over a real nats-server, with a pod user that may publish only
// its own subjects: what the registration carries, heartbeats with real figures, registering
// again after the server restarts, answering announce requests, a simulated-GPU pod.
import { create, toBinary } from '@bufbuild/protobuf';
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MLP } from '../../data-plane/models/catalog.js';
import type { Pod } from '../../data-plane/pod.js';
import { ANNOUNCE_SUBJECT, podSubjects, podSubscribePermission } from '../../kernel/contract/subjects.js';
import {
  AnnounceRequestSchema,
  ExecutionProvider,
  ModelState,
  PodState,
} from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
import { NatsServer } from '../helpers/nats-server.js';
import { f32Bytes, inputRows, KServeClient, modelRepoCopy, startTestPod, waitFor } from './harness.js';
import { PodListener } from './pod-listener.js';

const POD = 'pod-a';

describe('NATS agent: registration and heartbeats', () => {
  let nats: NatsServer;
  let listener: PodListener;
  let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
  let pod: Pod;
  let client: KServeClient;

  beforeAll(async () => {
    nats = await NatsServer.start();
    const creds = await nats.addUser({
      user: POD,
      publish: [podSubjects(POD).publishPermission],
      subscribe: podSubscribePermission(POD),
    });
    listener = await PodListener.start(nats.connectOptions());
    repo = await modelRepoCopy(['mlp', 'affine']);
    pod = await startTestPod(repo.dir, {
      podId: POD,
      nats: { url: nats.url, user: creds.user, pass: creds.pass },
      heartbeatIntervalMs: 200,
      injectDelayMs: 20,
      labels: { tier: 'test' },
    });
    client = new KServeClient(pod.ports.grpc);
  });

  afterAll(async () => {
    client?.close();
    await pod?.close();
    await listener?.close();
    await repo?.cleanup();
    await nats?.cleanup();
  });

  it('registers with address, ports, models, provider, region, zone and capacity', async () => {
    const reg = await listener.next('register', (r) => r.podId === POD);
    expect(reg.address).toBe('127.0.0.1');
    expect(reg.ports).toMatchObject({
      http: pod.ports.http,
      grpc: pod.ports.grpc,
      metrics: pod.ports.metrics,
    });
    expect(reg.region).toBe('test-region');
    expect(reg.zone).toBe('test-zone-a');
    expect(reg.labels).toEqual({ tier: 'test' });
    expect(reg.state).toBe(PodState.SERVING);
    expect(reg.executionProvider).toBe(ExecutionProvider.CPU);
    expect(reg.gpuSimulated).toBe(false);
    expect(reg.heartbeatIntervalMs).toBe(200);
    expect(reg.revision).toBeGreaterThanOrEqual(1n);
    expect(
      reg.models.map((m) => [m.model, m.version, m.state, m.executionProviderName, m.maxBatchSize]),
    ).toEqual([
      ['affine', '1', ModelState.READY, 'cpu', 0],
      ['mlp', '1', ModelState.READY, 'cpu', 64],
      ['mlp', '2', ModelState.READY, 'cpu', 64],
    ]);
    expect(reg.capacity!.cpuCores).toBeGreaterThan(0);
    expect(reg.capacity!.workers).toBe(3);
    expect(reg.capacity!.queueLimit).toBe(512 + 512 + 64);
  });

  it('sends heartbeats every interval with real load figures', async () => {
    const from = listener.messages.length;
    const x = f32Bytes(inputRows(1, MLP.inputs, 9));
    const req = {
      modelName: 'mlp',
      modelVersion: '1',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1n, BigInt(MLP.inputs)] }],
      rawInputContents: [x],
    };
    // Sustained concurrent load for about a second, plus one request that misses its deadline.
    const until = Date.now() + 1200;
    const worker = async () => {
      while (Date.now() < until) await client.infer(req);
    };
    const late = client.infer(req, { deadline: Date.now() + 1 }).catch((e: grpc.ServiceError) => e.code);
    await Promise.all([...Array.from({ length: 8 }, worker), late]);
    const hb = await listener.next(
      'heartbeat',
      (h) => h.podId === POD && (h.window?.requests ?? 0n) >= 20n,
      from,
    );
    const w = hb.window!;
    expect(w.p50Ms).toBeGreaterThan(0);
    expect(w.p99Ms).toBeGreaterThanOrEqual(w.p50Ms);
    expect(w.throughputRps).toBeGreaterThan(0);
    expect(hb.utilization!.cpuPercent).toBeGreaterThan(0);
    expect(hb.utilization!.gpuPercent).toBeUndefined();
    expect(hb.utilization!.rssBytes).toBeGreaterThan(0n);
    expect(hb.intervalMs).toBe(200);
    const mlp1 = hb.models.find((m) => m.model === 'mlp' && m.version === '1')!;
    expect(mlp1.ready).toBe(true);
    expect(mlp1.window!.requests).toBeGreaterThanOrEqual(20n);
    // While the load ran, some heartbeat saw requests in flight.
    const during = listener.of('heartbeat', POD).filter((h) => h.inFlight > 0 || h.queueDepth > 0);
    expect(during.length).toBeGreaterThan(0);
    // Heartbeats keep their pace: several in the last second, in sequence order.
    const recent = listener.messages.slice(from).filter((m) => m.kind === 'heartbeat');
    expect(recent.length).toBeGreaterThanOrEqual(4);
    const seqs = listener.of('heartbeat', POD).map((h) => h.sequence);
    expect([...seqs].sort((a, b) => (a < b ? -1 : 1))).toEqual(seqs);
    expect(hb.registrationRevision).toBe(listener.of('register', POD).at(-1)!.revision);
  });

  it('counts requests that missed their deadline in the error rate', async () => {
    const from = listener.messages.length;
    const req = {
      modelName: 'mlp',
      modelVersion: '1',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1n, BigInt(MLP.inputs)] }],
      rawInputContents: [f32Bytes(inputRows(1, MLP.inputs, 2))],
    };
    // A run held for 300 ms: a request with a 5 ms deadline queued behind it (one row is not a
    // full batch, so it waits for the run to end) has expired when its batch forms. Over HTTP
    // the client does not cancel, so it is the pod that finds the deadline passed.
    pod.setInjectDelay(300);
    let late: Response;
    try {
      const running = client.infer(req);
      const batcher = pod.models.get('mlp', '1')!.batcher!;
      await waitFor('a run under way', () => batcher.busyInstances >= 1 || undefined);
      late = await fetch(`http://127.0.0.1:${pod.ports.http}/v2/models/mlp/versions/1/infer`, {
        method: 'POST',
        headers: { 'x-request-timeout-ms': '5' },
        body: JSON.stringify({
          inputs: [
            { name: 'input', datatype: 'FP32', shape: [1, MLP.inputs], data: Array(MLP.inputs).fill(0) },
          ],
        }),
      });
      await running;
    } finally {
      pod.setInjectDelay(0);
    }
    expect(late.status).toBe(504);
    const hb = await listener.next(
      'heartbeat',
      (h) => h.podId === POD && (h.window?.errors ?? 0n) > 0n,
      from,
    );
    expect(hb.window!.errorRate).toBeGreaterThan(0);
    const mlp1 = hb.models.find((m) => m.model === 'mlp' && m.version === '1')!;
    expect(mlp1.window!.errors).toBeGreaterThan(0n);
  });

  it('registers again after the NATS server restarts', async () => {
    const before = listener.of('register', POD).length;
    await nats.kill();
    await nats.restart();
    await waitFor(
      'a registration after the restart',
      () => listener.of('register', POD).length > before,
      15_000,
    );
    const lines = (pod.log as unknown as { lines: string[] }).lines;
    expect(lines.some((l) => /nats: reconnected .* registering again/.test(l))).toBe(true);
    // And heartbeats resume.
    const from = listener.messages.length;
    await listener.next('heartbeat', (h) => h.podId === POD, from);
  });

  it('answers an announce request, unless it names another region', async () => {
    const count = () => listener.of('register', POD).length;
    const before = count();
    listener.nc.publish(
      ANNOUNCE_SUBJECT,
      toBinary(AnnounceRequestSchema, create(AnnounceRequestSchema, { region: 'elsewhere' })),
    );
    await listener.nc.flush();
    await new Promise((r) => setTimeout(r, 300));
    expect(count()).toBe(before);
    listener.nc.publish(
      ANNOUNCE_SUBJECT,
      toBinary(AnnounceRequestSchema, create(AnnounceRequestSchema, { reason: 'cp restart' })),
    );
    await waitFor('a registration after announce', () => count() > before);
  });

  it('reports a simulated GPU with --report-gpu', async () => {
    const gpuRepo = await modelRepoCopy(['affine']);
    const gpuPod = await startTestPod(gpuRepo.dir, {
      podId: 'pod-gpu',
      nats: { url: nats.url, ...nats.credentials() },
      reportGpu: true,
      heartbeatIntervalMs: 100,
    });
    try {
      const reg = await listener.next('register', (r) => r.podId === 'pod-gpu');
      expect(reg.executionProvider).toBe(ExecutionProvider.GPU);
      expect(reg.gpuSimulated).toBe(true);
      expect(reg.capacity!.gpus).toBe(1);
      expect(reg.models[0]!.executionProviderName).toBe('cpu');
      const hb = await listener.next(
        'heartbeat',
        (h) => h.podId === 'pod-gpu' && h.utilization?.gpuPercent !== undefined,
      );
      expect(hb.utilization!.gpuSimulated).toBe(true);
      expect(hb.utilization!.gpuPercent).toBeGreaterThanOrEqual(0);
      expect(hb.utilization!.gpuPercent).toBeLessThanOrEqual(100);
    } finally {
      await gpuPod.close();
      await gpuRepo.cleanup();
    }
  });
});
