// Load shedding, deadlines and bad input against a deliberately slow pod (every run takes
// 150 ms more, the queue holds 6): the pod sheds with RESOURCE_EXHAUSTED / 429 + Retry-After,
// never runs an expired request, names the wrong field of a bad request, and keeps serving.
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MLP } from '../../data-plane/models/catalog.js';
import type { Pod } from '../../data-plane/pod.js';
import { f32Bytes, inputRows, KServeClient, modelRepoCopy, startTestPod, waitFor } from './harness.js';

const input = (rows = 1) => ({
  modelName: 'mlp',
  modelVersion: '1',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [BigInt(rows), BigInt(MLP.inputs)] }],
  rawInputContents: [f32Bytes(inputRows(rows, MLP.inputs, rows))],
});

/** Requests of model mlp with this outcome, whatever version they named. */
function counter(metrics: string, outcome: string): number {
  const re = new RegExp(
    `switchyard_pod_inference_requests_total\\{model="mlp",version="[^"]*",outcome="${outcome}"\\} (\\d+)`,
    'g',
  );
  return [...metrics.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
}
const rowsRun = (metrics: string) =>
  Number(/switchyard_pod_batch_size_sum\{model="mlp",version="1"\} (\d+)/.exec(metrics)?.[1] ?? 0);
const inFlight = (metrics: string) =>
  Number(/switchyard_pod_in_flight_requests\{model="mlp",version="1"\} (\d+)/.exec(metrics)?.[1] ?? 0);

describe('limits: shedding, deadlines, bad input', () => {
  let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
  let pod: Pod;
  let client: KServeClient;
  let http: string;
  const metrics = async () => (await fetch(`http://127.0.0.1:${pod.ports.metrics}/metrics`)).text();

  beforeAll(async () => {
    repo = await modelRepoCopy(['mlp']);
    await writeFile(join(repo.dir, 'mlp', '1', 'config.yaml'), 'max_batch_size: 4\nqueue_limit: 6\n');
    pod = await startTestPod(repo.dir, { injectDelayMs: 150, maxBodyBytes: 64 * 1024 });
    client = new KServeClient(pod.ports.grpc);
    http = `http://127.0.0.1:${pod.ports.http}`;
  });

  afterAll(async () => {
    client?.close();
    await pod?.close();
    await repo?.cleanup();
  });

  it('sheds beyond the queue limit with RESOURCE_EXHAUSTED and a retry hint, serving the rest', async () => {
    const calls = Array.from({ length: 24 }, () =>
      client.infer(input()).then(
        () => ({ ok: true as const }),
        (err: grpc.ServiceError) => ({ ok: false as const, err }),
      ),
    );
    const results = await Promise.all(calls);
    const shed = results.filter((r) => !r.ok);
    const served = results.filter((r) => r.ok);
    // The first runs at once and 6 queue behind it; the rest arrive before that run ends.
    expect(served.length).toBeGreaterThanOrEqual(7);
    expect(shed.length).toBeGreaterThan(0);
    expect(served.length + shed.length).toBe(24);
    for (const r of shed) {
      if (r.ok) continue;
      expect(r.err.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(r.err.details).toMatch(/queue is full/);
      expect(Number(r.err.metadata.get('retry-after')[0])).toBeGreaterThanOrEqual(1);
      expect(r.err.metadata.get('grpc-retry-pushback-ms')[0]).toBeDefined();
    }
    expect(counter(await metrics(), 'shed')).toBe(shed.length);
  });

  it('sheds over HTTP with 429 and Retry-After', async () => {
    const body = JSON.stringify({
      inputs: [
        {
          name: 'input',
          datatype: 'FP32',
          shape: [1, MLP.inputs],
          data: Array.from(inputRows(1, MLP.inputs, 3)),
        },
      ],
    });
    const responses = await Promise.all(
      Array.from({ length: 24 }, () =>
        fetch(`${http}/v2/models/mlp/versions/1/infer`, { method: 'POST', body }),
      ),
    );
    const shed = responses.filter((r) => r.status === 429);
    expect(shed.length).toBeGreaterThan(0);
    expect(responses.filter((r) => r.status === 200).length + shed.length).toBe(24);
    expect(Number(shed[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await shed[0]!.json()) as { error: string; code: string }).code).toBe('SY_OVERLOADED');
    await Promise.all(responses.slice(1).map((r) => (r === shed[0] ? undefined : r.arrayBuffer())));
  });

  it('never runs a request whose deadline passes while it waits', async () => {
    const before = await metrics();
    // Three full batches ahead (150 ms each), then requests allowed 100 ms.
    const ahead = Array.from({ length: 3 }, () => client.infer(input(4)));
    // The late requests must find all three in the pod: received = in flight + finished (a
    // scrape cannot fall between a batch's row count and its in-flight release).
    await waitFor('the three requests ahead in the pod', async () => {
      const m = await metrics();
      return inFlight(m) + (rowsRun(m) - rowsRun(before)) / 4 >= 3;
    });
    const late = client.infer(input(1), { deadline: Date.now() + 100 });
    const lateHttp = fetch(`${http}/v2/models/mlp/versions/1/infer`, {
      method: 'POST',
      headers: { 'x-request-timeout-ms': '100' },
      body: JSON.stringify({
        inputs: [
          { name: 'input', datatype: 'FP32', shape: [1, MLP.inputs], data: Array(MLP.inputs).fill(0) },
        ],
      }),
    });
    await expect(late).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
    const res = await lateHttp;
    expect(res.status).toBe(504);
    expect(((await res.json()) as { code: string }).code).toBe('SY_DEADLINE_EXCEEDED');
    await Promise.all(ahead);
    // Settled: nothing left in the pod and both late requests counted (the gRPC one as a
    // deadline or, when the server's own deadline timer fires first, as cancelled).
    const after = await waitFor('the pod idle with both late requests counted', async () => {
      const m = await metrics();
      const late = (o: string) => counter(m, o) - counter(before, o);
      return inFlight(m) === 0 && late('deadline') + late('cancelled') >= 2 ? m : undefined;
    });
    // 12 rows ran for the requests ahead; the two late rows never did.
    expect(rowsRun(after) - rowsRun(before)).toBe(12);
    expect(counter(after, 'deadline')).toBeGreaterThan(counter(before, 'deadline'));
  });

  it('names the wrong field of a bad gRPC request and keeps serving', async () => {
    const bad = async (req: Record<string, unknown>, code: grpc.status, pattern: RegExp) => {
      const err = await client.infer(req as never).then(
        () => undefined,
        (e: grpc.ServiceError) => e,
      );
      expect(err?.code).toBe(code);
      expect(err?.details).toMatch(pattern);
    };
    const good = input();
    await bad(
      { ...good, inputs: [{ ...good.inputs[0], name: 'pixels' }] },
      grpc.status.INVALID_ARGUMENT,
      /inputs\[0\]\.name: model has no input "pixels"/,
    );
    await bad(
      { ...good, inputs: [{ ...good.inputs[0], datatype: 'INT32' }] },
      grpc.status.INVALID_ARGUMENT,
      /inputs\[0\]\.datatype: input must be FP32/,
    );
    await bad(
      { ...good, inputs: [{ ...good.inputs[0], shape: [1n, 7n] }] },
      grpc.status.INVALID_ARGUMENT,
      new RegExp(`inputs\\[0\\]\\.shape\\[1\\]: input must have shape \\[-1, ${MLP.inputs}\\]`),
    );
    await bad(
      { ...good, rawInputContents: [new Uint8Array(10)] },
      grpc.status.INVALID_ARGUMENT,
      new RegExp(`inputs\\[0\\]\\.contents: .* needs ${MLP.inputs * 4} bytes, got 10`),
    );
    await bad(
      { ...good, modelName: 'nope', modelVersion: '' },
      grpc.status.NOT_FOUND,
      /unknown model "nope"/,
    );
    await bad({ ...good, modelVersion: '7' }, grpc.status.NOT_FOUND, /model "mlp" has no version "7"/);
    await bad(
      {
        ...good,
        inputs: [{ ...good.inputs[0], shape: [32n, BigInt(MLP.inputs)] }],
        rawInputContents: [new Uint8Array(32 * MLP.inputs * 4)],
      },
      grpc.status.RESOURCE_EXHAUSTED,
      /larger than max/,
    );
    const ok = await client.infer(good);
    expect(ok.outputs[0]!.name).toBe('probabilities');
  });

  it('lets go of a request whose client hangs up in the middle of its body', async () => {
    const socket = connect(pod.ports.http, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write(
      'POST /v2/models/mlp/infer HTTP/1.1\r\nHost: pod\r\nContent-Length: 10000\r\n\r\n{"inputs": [',
    );
    await waitFor('the request admitted', () => pod.lifecycle.inFlightRequests > 0);
    socket.destroy();
    await waitFor('the ticket returned', () => pod.lifecycle.inFlightRequests === 0);
  });

  it('answers bad HTTP requests with {"error"} and a 4xx status, and keeps serving', async () => {
    const post = (path: string, body: string) => fetch(`${http}${path}`, { method: 'POST', body });
    const tensor = (over: Record<string, unknown>) =>
      JSON.stringify({
        inputs: [
          {
            name: 'input',
            datatype: 'FP32',
            shape: [1, MLP.inputs],
            data: Array(MLP.inputs).fill(0),
            ...over,
          },
        ],
      });
    const expectError = async (res: Response, status: number, pattern: RegExp) => {
      expect(res.status).toBe(status);
      const body = (await res.json()) as { error: string };
      expect(body.error).toMatch(pattern);
    };
    await expectError(await post('/v2/models/mlp/infer', '{not json'), 400, /body is not JSON/);
    await expectError(await post('/v2/models/mlp/infer', tensor({ name: 'x' })), 400, /inputs\[0\]\.name/);
    await expectError(
      await post('/v2/models/mlp/infer', tensor({ datatype: 'FP64' })),
      400,
      /inputs\[0\]\.datatype/,
    );
    await expectError(
      await post('/v2/models/mlp/infer', tensor({ shape: [1, 3] })),
      400,
      /inputs\[0\]\.data: .* needs 3 elements/,
    );
    await expectError(await post('/v2/models/mlp/infer', tensor({ data: ['a'] })), 400, /inputs\[0\]\.data/);
    await expectError(await post('/v2/models/none/infer', tensor({})), 404, /unknown model "none"/);
    await expectError(await post('/v2/models/mlp/versions/3/infer', tensor({})), 404, /no version "3"/);
    await expectError(
      await post('/v2/models/mlp/infer', 'x'.repeat(70 * 1024)),
      413,
      /over the limit of 65536 bytes/,
    );
    await expectError(await fetch(`${http}/v2/nothing`), 404, /no route/);
    await expectError(await fetch(`${http}/v2/models/mlp/infer`), 405, /GET is not allowed/);
    const ok = await post('/v2/models/mlp/infer', tensor({}));
    expect(ok.status).toBe(200);
    expect(counter(await metrics(), 'invalid')).toBeGreaterThanOrEqual(5);
  });
});
