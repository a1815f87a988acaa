// Dynamic batching under 64 concurrent callers: requests merge into larger runs, and every
// caller gets exactly its own rows back (checked against session.run of its own input).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MLP } from '../../data-plane/models/catalog.js';
import type { Pod } from '../../data-plane/pod.js';
import {
  expectClose,
  f32Bytes,
  f32Of,
  inputRows,
  KServeClient,
  modelRepoCopy,
  ReferenceSession,
  startTestPod,
} from './harness.js';

function batchStats(metrics: string, model: string): { count: number; sum: number } {
  const find = (kind: string) =>
    Number(
      new RegExp(`switchyard_pod_batch_size_${kind}\\{model="${model}",version="1"\\} (\\d+)`).exec(
        metrics,
      )?.[1] ?? 0,
    );
  return { count: find('count'), sum: find('sum') };
}

describe('dynamic batching', () => {
  let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
  let pod: Pod;
  let clients: KServeClient[];
  let ref: ReferenceSession;
  const metrics = async () => (await fetch(`http://127.0.0.1:${pod.ports.metrics}/metrics`)).text();

  beforeAll(async () => {
    repo = await modelRepoCopy(['mlp']);
    // A slower run makes the queue fill while a batch runs, as it would under real load.
    pod = await startTestPod(repo.dir, { injectDelayMs: 20 });
    // Several channels, so the 64 calls arrive as separate HTTP/2 streams and connections.
    clients = Array.from({ length: 4 }, () => new KServeClient(pod.ports.grpc));
    ref = await ReferenceSession.open(join(repo.dir, 'mlp', '1', 'model.onnx'));
  });

  afterAll(async () => {
    for (const c of clients ?? []) c.close();
    await ref?.close();
    await pod?.close();
    await repo?.cleanup();
  });

  it('gives each of 64 concurrent gRPC callers its own rows', async () => {
    const before = batchStats(await metrics(), 'mlp');
    const callers = Array.from({ length: 64 }, (_, i) => {
      const rows = i % 5 === 0 ? 2 : 1;
      const x = inputRows(rows, MLP.inputs, 1000 + i);
      return { rows, x };
    });
    const results = await Promise.all(
      callers.map((c, i) =>
        clients[i % clients.length]!.infer({
          modelName: 'mlp',
          modelVersion: '1',
          id: `caller-${i}`,
          inputs: [{ name: 'input', datatype: 'FP32', shape: [BigInt(c.rows), BigInt(MLP.inputs)] }],
          rawInputContents: [f32Bytes(c.x)],
        }),
      ),
    );
    for (const [i, c] of callers.entries()) {
      const r = results[i]!;
      expect(r.id).toBe(`caller-${i}`);
      expect(r.outputs[0]!.shape.map(Number)).toEqual([c.rows, MLP.classes]);
      expectClose(f32Of(r.rawOutputContents[0]!), await ref.run(c.x, [c.rows, MLP.inputs]));
    }
    const after = batchStats(await metrics(), 'mlp');
    const runs = after.count - before.count;
    const rows = after.sum - before.sum;
    expect(rows).toBe(callers.reduce((n, c) => n + c.rows, 0));
    // 64 callers in far fewer runs: batching happened.
    expect(runs).toBeLessThan(20);
  });

  it('gives each of 64 concurrent HTTP callers its own rows', async () => {
    const before = batchStats(await metrics(), 'mlp');
    const xs = Array.from({ length: 64 }, (_, i) => inputRows(1, MLP.inputs, 5000 + i));
    const bodies = await Promise.all(
      xs.map(async (x) => {
        const res = await fetch(`http://127.0.0.1:${pod.ports.http}/v2/models/mlp/versions/1/infer`, {
          method: 'POST',
          body: JSON.stringify({
            inputs: [{ name: 'input', datatype: 'FP32', shape: [1, MLP.inputs], data: Array.from(x) }],
          }),
        });
        expect(res.status).toBe(200);
        return (await res.json()) as { outputs: Array<{ data: number[] }> };
      }),
    );
    for (const [i, x] of xs.entries())
      expectClose(Float32Array.from(bodies[i]!.outputs[0]!.data), await ref.run(x, [1, MLP.inputs]));
    const after = batchStats(await metrics(), 'mlp');
    expect(after.sum - before.sum).toBe(64);
    expect(after.count - before.count).toBeLessThan(32);
  });
});
