// A model whose runs are short runs on the pod's main thread instead of a worker
// (docs/DATAPLANE.md, "Runtime"): the conv net here, next to the MLP, whose 64-row run is near
// the budget (inline when it fits, else split: its small batches inline, the rest on its worker).
// Inline, it still merges concurrent callers into batches and gives each its own rows, never runs
// a request whose deadline passed or whose caller went away, and finishes what it admitted
// when the pod drains. Real pod, real sessions, real grpc-js clients.
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../data-plane/pod.js';
import {
  ModelInferRequestSchema,
  type ModelInferResponse,
} from '../../protos/gen/inference/grpc_predict_v2_pb.js';
import {
  expectClose,
  f32Bytes,
  f32Of,
  inputRows,
  KServeClient,
  modelRepoCopy,
  ReferenceSession,
  startTestPod,
  waitFor,
} from './harness.js';

const PIXELS = 28 * 28;
const request = (rows: number, seed: number) => ({
  modelName: 'convnet',
  modelVersion: '1',
  inputs: [{ name: 'image', datatype: 'FP32', shape: [BigInt(rows), 1n, 28n, 28n] }],
  rawInputContents: [f32Bytes(inputRows(rows, PIXELS, seed))],
});

function stat(metrics: string, name: string, outcome?: string): number {
  const labels = outcome ? `model="convnet",version="1",outcome="${outcome}"` : 'model="convnet",version="1"';
  const m = new RegExp(`${name}\\{${labels}\\} (\\d+)`).exec(metrics);
  return Number(m?.[1] ?? 0);
}
const rowsRun = (m: string) => stat(m, 'switchyard_pod_batch_size_sum');
const runs = (m: string) => stat(m, 'switchyard_pod_batch_size_count');

describe('inline runs on the main thread', () => {
  let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
  let pod: Pod;
  let client: KServeClient;
  let ref: ReferenceSession;
  const metrics = async () => (await fetch(`http://127.0.0.1:${pod.ports.metrics}/metrics`)).text();

  beforeAll(async () => {
    repo = await modelRepoCopy(['convnet', 'mlp']);
    // A budget far above the conv net's 32-row run (~0.3 ms alone) and far below the 50 MB
    // MLP's 64-row run (~100 ms on one thread), so the machine's load cannot flip either.
    pod = await startTestPod(repo.dir, { inlineBudgetMs: 20 });
    client = new KServeClient(pod.ports.grpc);
    ref = await ReferenceSession.open(join(repo.dir, 'convnet', '1', 'model.onnx'));
  }, 180_000); // a pod start (two models, a probe) on a heavily shared machine

  afterAll(async () => {
    client?.close();
    await ref?.close();
    await pod?.close();
    await repo?.cleanup();
  });

  it('places each model by its probed run time against the budget', () => {
    const convnet = pod.models.get('convnet', '1')!;
    const mlp = pod.models.get('mlp', '1')!;
    expect(convnet.pool!.place).toBe('inline');
    expect(convnet.runPlacement!.reason).toMatch(/^32-row run \d+\.\d{3} ms <= 20 ms budget$/);
    // The MLP's 64-row run is near the budget: on a quiet machine it may fit. Whichever side
    // its measured time falls on, the placement and the reason must agree with it; when it does
    // not fit, its single rows usually do (a few ms at most), so it is split.
    const m = /64-row run (\d+\.\d{3}) ms (<=|>) 20 ms budget/.exec(mlp.runPlacement!.reason)!;
    expect(m).not.toBeNull();
    const fits = Number(m[1]) <= 20;
    expect(m[2]).toBe(fits ? '<=' : '>');
    if (fits) {
      expect(mlp.pool!.place).toBe('inline');
      return;
    }
    // A single row missing the budget too (a probe on a machine stalled by other work) leaves
    // the worker; then the reason must show that 1-row time over the budget.
    const one = /, 1-row run (\d+\.\d{3}) ms too$/.exec(mlp.runPlacement!.reason);
    if (one) {
      expect(Number(one[1])).toBeGreaterThan(20);
      expect(mlp.pool!.place).toBe('worker');
      return;
    }
    expect(mlp.pool!.place).toBe('split');
    expect(mlp.runPlacement!.reason).toMatch(
      /^up to \d+ row\(s\) inline \(.*\), larger batches on the worker \(64-row run .*\); a second session of \d+\.\d MiB$/,
    );
  });

  it('merges concurrent callers into batches and gives each its own rows', async () => {
    const before = await metrics();
    // A slower run keeps the queue filling while a batch runs, as it would under load.
    pod.setInjectDelay(40);
    try {
      const callers = Array.from({ length: 24 }, (_, i) => ({ rows: i % 4 === 0 ? 2 : 1, seed: 500 + i }));
      const results = await Promise.all(callers.map((c) => client.infer(request(c.rows, c.seed))));
      for (const [i, c] of callers.entries()) {
        const out = results[i]!;
        expect(out.outputs[0]!.shape).toEqual([BigInt(c.rows), 10n]);
        const want = await ref.run(inputRows(c.rows, PIXELS, c.seed), [c.rows, 1, 28, 28]);
        expectClose(f32Of(out.rawOutputContents[0]!), want, 1e-4);
      }
      const after = await metrics();
      const rows = callers.reduce((n, c) => n + c.rows, 0);
      expect(rowsRun(after) - rowsRun(before)).toBe(rows);
      expect(runs(after) - runs(before)).toBeLessThan(callers.length / 2);
    } finally {
      pod.setInjectDelay(0);
    }
  });

  it('never runs a request whose deadline passed while it waited', async () => {
    const before = await metrics();
    pod.setInjectDelay(150);
    try {
      // Three full (32-row) batches ahead, then one request allowed 100 ms.
      const ahead = Array.from({ length: 3 }, (_, i) => client.infer(request(32, i)));
      await waitFor('the three requests ahead in the pod', () => pod.lifecycle.inFlightRequests >= 3);
      const late = client.infer(request(1, 99), { deadline: Date.now() + 100 });
      await expect(late).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
      await Promise.all(ahead);
      const after = await waitFor('the pod idle', async () =>
        pod.lifecycle.inFlightRequests === 0 ? metrics() : undefined,
      );
      expect(rowsRun(after) - rowsRun(before)).toBe(96);
      // Counted as a deadline or, when the server's own deadline timer fires first, as cancelled.
      const more = (o: string) =>
        stat(after, 'switchyard_pod_inference_requests_total', o) -
        stat(before, 'switchyard_pod_inference_requests_total', o);
      expect(more('deadline') + more('cancelled')).toBe(1);
    } finally {
      pod.setInjectDelay(0);
    }
  });

  it('drops a queued request whose caller cancels, and keeps serving', async () => {
    const before = await metrics();
    // Long enough that the cancel reaches the pod while the request still waits, however loaded.
    pod.setInjectDelay(1500);
    try {
      const ahead = client.infer(request(32, 7));
      await waitFor('the request ahead running', () => pod.lifecycle.inFlightRequests >= 1);
      const fn = (client.client as unknown as Record<string, (...a: unknown[]) => grpc.ClientUnaryCall>)
        .modelInfer!;
      let settled: grpc.ServiceError | ModelInferResponse | undefined;
      const call = fn.call(
        client.client,
        create(ModelInferRequestSchema, request(1, 8)),
        new grpc.Metadata(),
        {},
        (err: grpc.ServiceError | null, res: ModelInferResponse) => {
          settled = err ?? res;
        },
      );
      await waitFor('the second request queued', () => pod.lifecycle.inFlightRequests >= 2);
      call.cancel();
      await ahead;
      await waitFor('the cancelled call settled', () => settled);
      expect((settled as grpc.ServiceError).code).toBe(grpc.status.CANCELLED);
      const after = await waitFor('the pod idle', async () =>
        pod.lifecycle.inFlightRequests === 0 ? metrics() : undefined,
      );
      expect(rowsRun(after) - rowsRun(before)).toBe(32);
      expect(
        stat(after, 'switchyard_pod_inference_requests_total', 'cancelled') -
          stat(before, 'switchyard_pod_inference_requests_total', 'cancelled'),
      ).toBe(1);
      pod.setInjectDelay(0);
      const ok = await client.infer(request(1, 9));
      expect(ok.outputs[0]!.shape).toEqual([1n, 10n]);
    } finally {
      pod.setInjectDelay(0);
    }
  });

  it('answers every admitted request when the pod drains, then refuses', async () => {
    pod.setInjectDelay(100);
    const admitted = Array.from({ length: 6 }, (_, i) => client.infer(request(1 + (i % 3), 40 + i)));
    await waitFor('all six admitted', () => pod.lifecycle.inFlightRequests >= 6);
    const drained = pod.drain('test');
    const answers = await Promise.all(admitted);
    for (const [i, a] of answers.entries()) expect(a.outputs[0]!.shape).toEqual([BigInt(1 + (i % 3)), 10n]);
    await waitFor('refusing', () => pod.lifecycle.phase === 'refusing' || pod.lifecycle.phase === 'stopped');
    const report = await drained;
    expect(report.unfinished).toBe(0);
    await expect(client.infer(request(1, 60), { deadline: Date.now() + 5000 })).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
    });
  });
});
