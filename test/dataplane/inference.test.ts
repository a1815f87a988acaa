// One pod over the generated repository (MLP, conv net, the pretrained PP-OCR classifier, a
// model without a batch dimension): outputs over gRPC (raw and typed contents) and HTTP equal
// direct session.run; metadata, readiness, grpc.health.v1 and /metrics behave; a CUDA request
// falls back to CPU and says so.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MLP } from '../../data-plane/models/catalog.js';
import type { Pod } from '../../data-plane/pod.js';
import type { HealthCheckResponse } from '../../protos/gen/grpc/health/v1/health_pb.js';
import type { ModelMetadataResponse } from '../../protos/gen/inference/grpc_predict_v2_pb.js';
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

const MODELS = [
  { model: 'mlp', input: 'input', dims: [MLP.inputs] },
  { model: 'convnet', input: 'image', dims: [1, 28, 28] },
  { model: 'ocr-cls', input: 'x', dims: [3, 48, 192] },
] as const;

describe('pod inference over gRPC and HTTP', () => {
  let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
  let pod: Pod;
  let client: KServeClient;
  const refs = new Map<string, ReferenceSession>();
  let http: string;

  beforeAll(async () => {
    repo = await modelRepoCopy(['mlp', 'convnet', 'ocr-cls', 'affine']);
    // The MLP once more, asking for CUDA: no GPU here, so it must fall back to CPU.
    const gpuDir = join(repo.dir, 'mlp-gpu', '1');
    await mkdir(gpuDir, { recursive: true });
    await copyFile(join(repo.dir, 'mlp', '1', 'model.onnx'), join(gpuDir, 'model.onnx'));
    await writeFile(join(gpuDir, 'config.yaml'), 'execution_provider: cuda\nmax_batch_size: 8\n');
    pod = await startTestPod(repo.dir);
    client = new KServeClient(pod.ports.grpc);
    http = `http://127.0.0.1:${pod.ports.http}`;
    for (const m of MODELS)
      refs.set(m.model, await ReferenceSession.open(join(repo.dir, m.model, '1', 'model.onnx')));
  });

  afterAll(async () => {
    client?.close();
    for (const r of refs.values()) await r.close();
    await pod?.close();
    await repo?.cleanup();
  });

  for (const m of MODELS) {
    it(`${m.model}: gRPC raw, gRPC typed and HTTP JSON outputs equal session.run`, async () => {
      const rows = 3;
      const x = inputRows(
        rows,
        (m.dims as readonly number[]).reduce((a, b) => a * b, 1),
        11,
      );
      const expected = await refs.get(m.model)!.run(x, [rows, ...m.dims]);
      const shape = [BigInt(rows), ...m.dims.map(BigInt)];
      const raw = await client.infer({
        modelName: m.model,
        modelVersion: '1',
        id: 'req-1',
        inputs: [{ name: m.input, datatype: 'FP32', shape }],
        rawInputContents: [f32Bytes(x)],
      });
      expect(raw.id).toBe('req-1');
      expect(raw.modelVersion).toBe('1');
      expect(raw.outputs[0]!.shape.map(Number)[0]).toBe(rows);
      expectClose(f32Of(raw.rawOutputContents[0]!), expected);

      const typed = await client.infer({
        modelName: m.model,
        modelVersion: '1',
        inputs: [{ name: m.input, datatype: 'FP32', shape, contents: { fp32Contents: Array.from(x) } }],
      });
      expect(typed.rawOutputContents).toHaveLength(0);
      expectClose(Float32Array.from(typed.outputs[0]!.contents!.fp32Contents), expected);

      const res = await fetch(`${http}/v2/models/${m.model}/versions/1/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          inputs: [{ name: m.input, datatype: 'FP32', shape: [rows, ...m.dims], data: Array.from(x) }],
        }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        model_version: string;
        outputs: Array<{ shape: number[]; data: number[] }>;
      };
      expect(body.model_version).toBe('1');
      expect(body.outputs[0]!.shape[0]).toBe(rows);
      expectClose(Float32Array.from(body.outputs[0]!.data), expected);
    });
  }

  it('serves a model without a batch dimension unbatched, and picks the newest version when none is named', async () => {
    const res = await fetch(`${http}/v2/models/affine/infer`, {
      method: 'POST',
      body: JSON.stringify({
        inputs: [
          {
            name: 'x',
            datatype: 'FP32',
            shape: [2, 3],
            data: [
              [1, 2, 3],
              [4, 5, 6],
            ],
          },
        ],
      }),
    });
    expect(await res.json()).toEqual({
      model_name: 'affine',
      model_version: '1',
      outputs: [{ name: 'y', datatype: 'FP32', shape: [2, 3], data: [3, 5, 7, 9, 11, 13] }],
    });
    expect(pod.models.get('affine', '1')!.maxBatchSize).toBe(0);
    const newest = await client.infer({
      modelName: 'mlp',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1n, BigInt(MLP.inputs)] }],
      rawInputContents: [f32Bytes(inputRows(1, MLP.inputs, 1))],
    });
    expect(newest.modelVersion).toBe('2');
  });

  it('answers metadata and readiness over both protocols', async () => {
    const meta = await client.call<ModelMetadataResponse>('modelMetadata', { name: 'ocr-cls', version: '' });
    expect(meta.platform).toBe('onnxruntime_onnx');
    expect(meta.versions).toEqual(['1']);
    expect(meta.inputs.map((t) => [t.name, t.datatype, t.shape.map(Number)])).toEqual([
      ['x', 'FP32', [-1, 3, 48, 192]],
    ]);
    expect((await client.call<{ ready: boolean }>('modelReady', { name: 'mlp', version: '2' })).ready).toBe(
      true,
    );
    expect((await client.call<{ ready: boolean }>('modelReady', { name: 'nope', version: '' })).ready).toBe(
      false,
    );
    expect((await client.call<{ live: boolean }>('serverLive', {})).live).toBe(true);
    expect((await client.call<{ ready: boolean }>('serverReady', {})).ready).toBe(true);
    expect((await client.call<{ name: string }>('serverMetadata', {})).name).toBe('switchyard-pod');

    expect((await fetch(`${http}/v2/health/live`)).status).toBe(200);
    expect((await fetch(`${http}/v2/health/ready`)).status).toBe(200);
    expect(await (await fetch(`${http}/v2`)).json()).toMatchObject({ name: 'switchyard-pod' });
    const m = (await (await fetch(`${http}/v2/models/mlp`)).json()) as {
      versions: string[];
      inputs: unknown[];
    };
    expect(m.versions).toEqual(['1', '2']);
    expect(m.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [-1, MLP.inputs] }]);
    expect((await fetch(`${http}/v2/models/mlp/versions/1/ready`)).status).toBe(200);
    const missing = await fetch(`${http}/v2/models/mlp/versions/9/ready`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toMatch(/no version "9"/);
  });

  it('answers grpc.health.v1 Check for the server, the service and each model', async () => {
    const check = (service: string) =>
      client.call<HealthCheckResponse>('check', { service }, {}, client.health);
    expect((await check('')).status).toBe(1);
    expect((await check('inference.GRPCInferenceService')).status).toBe(1);
    expect((await check('convnet')).status).toBe(1);
    await expect(check('unknown-model')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it('falls back from CUDA to CPU with a log line and reports it', async () => {
    const v = pod.models.get('mlp-gpu', '1')!;
    expect(v.state).toBe('ready');
    expect(v.provider).toBe('cpu');
    expect(v.fallbackReason).toMatch(
      /CUDA execution provider unavailable: libonnxruntime_providers_shared.so and libonnxruntime_providers_cuda.so not installed in .*onnxruntime-node/,
    );
    const lines = (pod.log as unknown as { lines: string[] }).lines;
    expect(lines.some((l) => /mlp-gpu version 1: cuda requested, running on cpu/.test(l))).toBe(true);
    const status = pod.status().versions.find((x) => x.model === 'mlp-gpu')!;
    expect(status.requestedProvider).toBe('cuda');
    expect(status.provider).toBe('cpu');
  });

  it('exposes Prometheus metrics for what it served', async () => {
    const text = await (await fetch(`http://127.0.0.1:${pod.ports.metrics}/metrics`)).text();
    expect(text).toMatch(
      /switchyard_pod_inference_requests_total\{model="mlp",version="1",outcome="success"\} [1-9]/,
    );
    expect(text).toMatch(/switchyard_pod_batch_size_count\{model="convnet",version="1"\} [1-9]/);
    expect(text).toMatch(
      /switchyard_pod_compute_duration_seconds_bucket\{le="[0-9.]+",model="ocr-cls",version="1"\}/,
    );
    expect(text).toMatch(/switchyard_pod_queue_duration_seconds_count\{model="mlp",version="1"\} [1-9]/);
    expect(text).toMatch(/switchyard_pod_in_flight_requests\{model="mlp",version="1"\} 0/);
    expect(text).toMatch(/switchyard_pod_queue_depth\{model="mlp",version="1"\} 0/);
    expect(text).toMatch(/switchyard_pod_cpu_utilization_ratio [0-9.e-]+/);
    expect(text).toMatch(/switchyard_pod_model_ready\{model="mlp-gpu",version="1"\} 1/);
    expect(text).not.toMatch(/switchyard_pod_gpu_utilization_ratio\{/);
  });
});
