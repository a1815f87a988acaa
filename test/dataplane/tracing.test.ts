// Tracing in a pod: a real grpc-js client and a REST caller send a W3C traceparent; the pod's
// OpenTelemetry SDK exports over OTLP/HTTP protobuf to a collector in this test, which decodes
// the ExportTraceServiceRequest. Asserted: the trace id and parent continue the caller's, each
// request has one server span with children queue wait / batch / inference / response carrying
// model, version, batch size and outcome; failures and cancellations end every span; the
// x-request-id (given or generated) is on the span and in the pod's log line for the request.
import { randomBytes } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MLP } from '../../data-plane/models/catalog.js';
import type { Pod } from '../../data-plane/pod.js';
import { type MemoryLogger, memoryLogger } from '../../kernel/log/index.js';
import { ModelInferRequestSchema } from '../../protos/gen/inference/grpc_predict_v2_pb.js';
import { type CollectedSpan, OtlpCollector } from '../helpers/otlp-collector.js';
import { f32Bytes, inputRows, KServeClient, modelRepoCopy, startTestPod, waitFor } from './harness.js';

const CHILDREN = ['queue wait', 'batch', 'inference', 'response'];

function traceparent(): { header: string; traceId: string; parentId: string } {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { header: `00-${traceId}-${parentId}-01`, traceId, parentId };
}

const mlpRequest = (seed: number) =>
  create(ModelInferRequestSchema, {
    modelName: 'mlp',
    modelVersion: '1',
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1n, BigInt(MLP.inputs)] }],
    rawInputContents: [f32Bytes(inputRows(1, MLP.inputs, seed))],
  });

type Unary = (
  req: unknown,
  md: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res?: unknown) => void,
) => grpc.ClientUnaryCall;

/** A unary ModelInfer with metadata; the call is returned too, to cancel it. */
function inferWith(
  client: KServeClient,
  req: unknown,
  meta: Record<string, string>,
): { call: grpc.ClientUnaryCall; done: Promise<grpc.ServiceError | undefined> } {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(meta)) md.set(k, v);
  const fn = (client.client as unknown as { modelInfer: Unary }).modelInfer.bind(client.client);
  let call!: grpc.ClientUnaryCall;
  const done = new Promise<grpc.ServiceError | undefined>((resolve) => {
    call = fn(req, md, {}, (err) => resolve(err ?? undefined));
  });
  return { call, done };
}

describe('tracing in a pod', () => {
  let collector: OtlpCollector;
  let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
  let pod: Pod;
  let client: KServeClient;
  let log: MemoryLogger;

  /** The spans of a trace once `count` of them have come (the exporter sends in batches). */
  async function spansOf(traceId: string, count: number): Promise<CollectedSpan[]> {
    await pod.tracer!.flush();
    return waitFor(
      `${count} spans of trace ${traceId}`,
      () => {
        const s = collector.trace(traceId);
        return s.length >= count ? s : undefined;
      },
      15_000,
    );
  }

  const batcher = () => pod.models.get('mlp', '1')!.batcher!;

  /**
   * One slow request of mlp/1, under way. Requests after it stay queued until it ends: a run
   * goes out behind a running one only for a full batch (64 rows here).
   */
  async function startRun(seed: number) {
    const running = inferWith(client, mlpRequest(seed), {});
    await waitFor('a run under way', () => batcher().busyInstances >= 1 || undefined);
    return running;
  }

  function family(spans: CollectedSpan[]) {
    const roots = spans.filter((s) => s.kind === 2);
    expect(roots).toHaveLength(1);
    const root = roots[0]!;
    const children = spans.filter((s) => s.parentSpanId === root.spanId);
    return { root, children, byName: (n: string) => children.find((c) => c.name === n)! };
  }

  beforeAll(async () => {
    collector = await OtlpCollector.start();
    repo = await modelRepoCopy(['mlp']);
    log = memoryLogger('pod', 'debug');
    pod = await startTestPod(repo.dir, {
      log,
      tracing: { endpoint: `${collector.url}/v1/traces`, sampleRatio: 1, exportDelayMs: 50 },
    });
    client = new KServeClient(pod.ports.grpc);
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await pod?.close();
    await collector?.close();
    await repo?.cleanup();
  });

  it('continues a gRPC caller’s trace with a server span and its four children', async () => {
    const tp = traceparent();
    const { done } = inferWith(client, mlpRequest(1), {
      traceparent: tp.header,
      tracestate: 'vendor=abc',
      'x-request-id': 'req-grpc-1',
    });
    expect(await done).toBeUndefined();
    const spans = await spansOf(tp.traceId, 5);
    const { root, children, byName } = family(spans);
    expect(root.parentSpanId).toBe(tp.parentId);
    expect(root.traceState).toBe('vendor=abc');
    expect(root.name).toBe('inference.GRPCInferenceService/ModelInfer');
    expect(root.attributes).toMatchObject({
      'rpc.system': 'grpc',
      'rpc.service': 'inference.GRPCInferenceService',
      'rpc.method': 'ModelInfer',
      'rpc.grpc.status_code': 0,
      'switchyard.model': 'mlp',
      'switchyard.model.version': '1',
      'switchyard.outcome': 'success',
      'switchyard.request.id': 'req-grpc-1',
    });
    expect(root.status.code).toBe(0);
    expect(root.resource['service.name']).toBe('switchyard-pod');
    expect(root.resource['service.instance.id']).toBe(pod.podId);
    expect(children.map((c) => c.name).sort()).toEqual([...CHILDREN].sort());
    for (const c of children) {
      expect(c.traceId).toBe(tp.traceId);
      expect(c.kind).toBe(1);
      expect(c.attributes['switchyard.model']).toBe('mlp');
      expect(c.attributes['switchyard.model.version']).toBe('1');
      // Children lie within the request.
      expect(c.startNs >= root.startNs && c.endNs <= root.endNs).toBe(true);
    }
    expect(byName('batch').attributes['switchyard.batch.size']).toBe(1);
    expect(byName('batch').attributes['switchyard.batch.requests']).toBe(1);
    expect(byName('inference').attributes['switchyard.batch.size']).toBe(1);
    // In order: queued, then the batch (with the inference inside it), then the response.
    expect(byName('queue wait').endNs <= byName('batch').startNs).toBe(true);
    expect(byName('inference').endNs <= byName('batch').endNs).toBe(true);
    expect(byName('batch').endNs <= byName('response').startNs).toBe(true);
    const line = log.records.find((r) => r.request_id === 'req-grpc-1');
    expect(line).toMatchObject({ msg: 'inference success', model: 'mlp', trace_id: tp.traceId });
  });

  it('continues a REST caller’s trace and answers with the request id', async () => {
    const tp = traceparent();
    const res = await fetch(`http://127.0.0.1:${pod.ports.http}/v2/models/mlp/versions/1/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: tp.header, 'x-request-id': 'req-rest-1' },
      body: JSON.stringify({
        inputs: [
          { name: 'input', datatype: 'FP32', shape: [1, MLP.inputs], data: Array(MLP.inputs).fill(0) },
        ],
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req-rest-1');
    const { root, children } = family(await spansOf(tp.traceId, 5));
    expect(root.parentSpanId).toBe(tp.parentId);
    expect(root.name).toBe('POST /v2/models/{model}/versions/{version}/infer');
    expect(root.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/v2/models/{model}/versions/{version}/infer',
      'url.path': '/v2/models/mlp/versions/1/infer',
      'http.response.status_code': 200,
      'switchyard.outcome': 'success',
      'switchyard.request.id': 'req-rest-1',
    });
    expect(children.map((c) => c.name).sort()).toEqual([...CHILDREN].sort());
  });

  it('generates a request id when the caller sends none, and starts a trace of its own', async () => {
    const before = collector.spans.length;
    const res = await fetch(`http://127.0.0.1:${pod.ports.http}/v2/models/mlp/infer`, {
      method: 'POST',
      body: JSON.stringify({
        inputs: [
          { name: 'input', datatype: 'FP32', shape: [1, MLP.inputs], data: Array(MLP.inputs).fill(1) },
        ],
      }),
    });
    expect(res.status).toBe(200);
    const id = res.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await pod.tracer!.flush();
    const root = await waitFor('the server span', () =>
      collector.spans.slice(before).find((s) => s.attributes['switchyard.request.id'] === id),
    );
    expect(root.parentSpanId).toBe('');
    expect(log.records.find((r) => r.request_id === id)?.trace_id).toBe(root.traceId);
  });

  it('ends a refused request’s span with its outcome and error type (a client mistake: status unset)', async () => {
    const tp = traceparent();
    const { done } = inferWith(client, { ...mlpRequest(2), modelName: 'nope' }, { traceparent: tp.header });
    expect((await done)?.code).toBe(grpc.status.NOT_FOUND);
    const [root] = await spansOf(tp.traceId, 1);
    expect(root!.attributes).toMatchObject({
      'switchyard.model': 'nope',
      'switchyard.outcome': 'not_found',
      'error.type': 'SY_MODEL_NOT_FOUND',
      'rpc.grpc.status_code': grpc.status.NOT_FOUND,
    });
    expect(root!.status.code).toBe(0);
  });

  it('ends the spans of a request cancelled while queued', async () => {
    // Each run takes 1.5 s: while one runs, the next request waits in the queue.
    pod.setInjectDelay(1500);
    try {
      const running = await startRun(3);
      const tp = traceparent();
      const queued = inferWith(client, mlpRequest(5), { traceparent: tp.header });
      await waitFor('the request queued', () => batcher().queueDepth === 1 || undefined);
      queued.call.cancel();
      expect((await queued.done)?.code).toBe(grpc.status.CANCELLED);
      const { root, children } = family(await spansOf(tp.traceId, 2));
      expect(root.attributes['switchyard.outcome']).toBe('cancelled');
      expect(children.map((c) => c.name)).toEqual(['queue wait']);
      expect(children[0]!.attributes['switchyard.outcome']).toBe('cancelled');
      expect(children[0]!.status.code).toBe(2);
      expect(await running.done).toBeUndefined();
    } finally {
      pod.setInjectDelay(0);
    }
  }, 30_000);

  it('puts two requests run together in one batch of size 2', async () => {
    pod.setInjectDelay(1500);
    try {
      const running = await startRun(6);
      const a = traceparent();
      const b = traceparent();
      const calls = [
        inferWith(client, mlpRequest(8), { traceparent: a.header }),
        inferWith(client, mlpRequest(9), { traceparent: b.header }),
      ];
      await waitFor('both queued', () => batcher().queueDepth === 2 || undefined);
      for (const c of [running, ...calls]) expect(await c.done).toBeUndefined();
      for (const t of [a, b]) {
        const { byName } = family(await spansOf(t.traceId, 5));
        expect(byName('batch').attributes['switchyard.batch.size']).toBe(2);
        expect(byName('batch').attributes['switchyard.batch.requests']).toBe(2);
      }
    } finally {
      pod.setInjectDelay(0);
    }
  }, 30_000);

  it('exports to /v1/traces as protobuf', () => {
    expect(collector.requests.length).toBeGreaterThan(0);
    for (const r of collector.requests) {
      expect(r.path).toBe('/v1/traces');
      expect(r.contentType).toBe('application/x-protobuf');
    }
  });
});
