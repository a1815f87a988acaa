// The model repository is watched: a version added while the pod runs is loaded and
// announced; a removed one finishes what it has in flight and is unloaded; a model that does
// not load is reported with its reason while the pod keeps serving.
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MLP } from '../../data-plane/models/catalog.js';
import type { Pod } from '../../data-plane/pod.js';
import { ModelState } from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
import { NatsServer } from '../helpers/nats-server.js';
import { f32Bytes, inputRows, KServeClient, modelRepoCopy, startTestPod, waitFor } from './harness.js';
import { PodListener } from './pod-listener.js';

const POD = 'pod-repo';
const request = (version: string) => ({
  modelName: 'mlp',
  modelVersion: version,
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1n, BigInt(MLP.inputs)] }],
  rawInputContents: [f32Bytes(inputRows(1, MLP.inputs, 4))],
});

describe('model repository watching', () => {
  let nats: NatsServer;
  let listener: PodListener;
  let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
  let spare: string;
  let pod: Pod;
  let client: KServeClient;

  const latest = () => listener.of('register', POD).at(-1)!;
  const stateOf = (model: string, version: string) =>
    latest().models.find((m) => m.model === model && m.version === version);

  beforeAll(async () => {
    nats = await NatsServer.start();
    listener = await PodListener.start(nats.connectOptions());
    repo = await modelRepoCopy(['mlp']);
    // Version 2 waits outside the repository until the test adds it.
    spare = `${repo.dir}-spare`;
    await cp(join(repo.dir, 'mlp', '2'), spare, { recursive: true });
    await rm(join(repo.dir, 'mlp', '2'), { recursive: true });
    // Small batches of slow runs: version 1 has work in flight for about a second.
    await writeFile(join(repo.dir, 'mlp', '1', 'config.yaml'), 'max_batch_size: 2\n');
    pod = await startTestPod(repo.dir, {
      podId: POD,
      nats: { url: nats.url, ...nats.credentials() },
      injectDelayMs: 120,
    });
    client = new KServeClient(pod.ports.grpc);
    await listener.next('register', (r) => r.podId === POD);
  });

  afterAll(async () => {
    client?.close();
    await pod?.close();
    await listener?.close();
    await rm(spare, { recursive: true, force: true });
    await repo?.cleanup();
    await nats?.cleanup();
  });

  it('loads and announces a version added at run time, without a restart', async () => {
    const revision = latest().revision;
    expect(stateOf('mlp', '2')).toBeUndefined();
    await cp(spare, join(repo.dir, 'mlp', '2'), { recursive: true });
    const reg = await listener.next(
      'register',
      (r) => r.podId === POD && r.models.some((m) => m.version === '2' && m.state === ModelState.READY),
    );
    expect(reg.revision).toBeGreaterThan(revision);
    const res = await client.infer(request('2'));
    expect(res.modelVersion).toBe('2');
    const meta = (await (await fetch(`http://127.0.0.1:${pod.ports.http}/v2/models/mlp`)).json()) as {
      versions: string[];
    };
    expect(meta.versions).toEqual(['1', '2']);
  });

  it('finishes in-flight requests of a removed version, then unloads and announces it', async () => {
    // Enough queued work on version 1 to still be running when its directory goes.
    const inFlight = Array.from({ length: 12 }, (_, i) =>
      client.infer({
        ...request('1'),
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1n, BigInt(MLP.inputs)] }],
        id: `r${i}`,
      }),
    );
    await waitFor(
      'requests queued on version 1',
      () => (pod.models.get('mlp', '1')?.batcher?.inFlight ?? 0) > 0,
    );
    await rm(join(repo.dir, 'mlp', '1'), { recursive: true });
    const lines = (pod.log as unknown as { lines: string[] }).lines;
    const unloading = await waitFor('the unload', () =>
      lines.find((l) => /mlp version 1: unloading after/.test(l)),
    );
    expect(Number(/after (\d+) in-flight/.exec(unloading)![1])).toBeGreaterThan(0);
    await listener.next('register', (r) => r.podId === POD && !r.models.some((m) => m.version === '1'));
    // Every request admitted before the removal was answered by version 1.
    const results = await Promise.all(inFlight);
    expect(results.map((r) => r.modelVersion)).toEqual(Array(12).fill('1'));
    await waitFor('version 1 gone', () => pod.models.get('mlp', '1') === undefined);
    await expect(client.infer(request('1'))).rejects.toMatchObject({ details: /no version "1"/ });
    expect((await client.infer(request(''))).modelVersion).toBe('2');
  });

  it('reports a model that fails to load, with its reason, and keeps serving the others', async () => {
    await mkdir(join(repo.dir, 'broken', '1'), { recursive: true });
    await writeFile(join(repo.dir, 'broken', '1', 'model.onnx'), 'this is not an onnx file');
    await mkdir(join(repo.dir, 'badcfg', '1'), { recursive: true });
    await cp(join(spare, 'model.onnx'), join(repo.dir, 'badcfg', '1', 'model.onnx'));
    await writeFile(join(repo.dir, 'badcfg', '1', 'config.yaml'), 'max_batch_size: lots\n');
    const reg = await listener.next(
      'register',
      (r) =>
        r.podId === POD &&
        r.models.some((m) => m.model === 'broken' && m.state === ModelState.FAILED) &&
        r.models.some((m) => m.model === 'badcfg' && m.state === ModelState.FAILED),
    );
    const broken = reg.models.find((m) => m.model === 'broken')!;
    expect(broken.version).toBe('1');
    expect(broken.failureReason).toMatch(/protobuf|onnx|load/i);
    expect(reg.models.find((m) => m.model === 'badcfg')!.failureReason).toMatch(
      /config\.yaml: max_batch_size: must be an integer/,
    );
    const res = await fetch(`http://127.0.0.1:${pod.ports.http}/v2/models/broken/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [1] }] }),
    });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toMatch(/broken version 1 is not ready/);
    expect((await client.infer(request('2'))).modelVersion).toBe('2');
    const log = (pod.log as unknown as { lines: string[] }).lines;
    expect(log.some((l) => /ERROR model broken version 1 failed to load/.test(l))).toBe(true);
  });
});
