// Shared pieces of the data-plane suites: a pod on free ports over a temp copy of the generated
// model repository, a real grpc-js KServe v2 client, and direct onnxruntime sessions to
// compute the expected outputs.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import * as ort from 'onnxruntime-node';
import { ensureModelRepository } from '../../data-plane/models/generate.js';
import { Pod, type PodOptions } from '../../data-plane/pod.js';
import { BUILTIN_MODEL_DEFAULTS } from '../../data-plane/repository/config.js';
import type { GrpcTransport } from '../../data-plane/server/grpc-front.js';
import { serviceDefinition as grpcServiceDefinition } from '../../kernel/grpc/service-definition.js';
import { memoryLogger } from '../../kernel/log/index.js';
import { Health } from '../../protos/gen/grpc/health/v1/health_pb.js';
import {
  GRPCInferenceService,
  type ModelInferRequestSchema,
  type ModelInferResponse,
} from '../../protos/gen/inference/grpc_predict_v2_pb.js';

/** Copies the named models (all their versions) of the generated repository into a temp dir. */
export async function modelRepoCopy(
  models: readonly string[],
): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const source = await ensureModelRepository();
  const dir = await mkdtemp(join(tmpdir(), 'sy-repo-'));
  for (const m of models) await cp(join(source, m), join(dir, m), { recursive: true });
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function testPodOptions(modelRepo: string, overrides: Partial<PodOptions> = {}): PodOptions {
  return {
    modelRepo,
    host: '127.0.0.1',
    httpPort: 0,
    grpcPort: 0,
    metricsPort: 0,
    region: 'test-region',
    zone: 'test-zone-a',
    heartbeatIntervalMs: 200,
    statsWindowMs: 10_000,
    // One intra-op thread: suites share two cores with each other.
    modelDefaults: {
      ...BUILTIN_MODEL_DEFAULTS,
      session: { ...BUILTIN_MODEL_DEFAULTS.session, intraOpThreads: 1 },
    },
    disableBatching: false,
    injectDelayMs: 0,
    reportGpu: false,
    maxBodyBytes: 8 * 1024 * 1024,
    maxJsonBodyBytes: 8 * 1024 * 1024,
    drain: { graceMs: 200, timeoutMs: 10_000 },
    repoPollMs: 200,
    repoSettleMs: 100,
    log: memoryLogger(),
    // SWITCHYARD_TEST_GRPC_TRANSPORT=grpc-js (or h2) runs a suite's pods on that gRPC transport.
    ...(process.env.SWITCHYARD_TEST_GRPC_TRANSPORT
      ? { grpcTransport: process.env.SWITCHYARD_TEST_GRPC_TRANSPORT as GrpcTransport }
      : {}),
    ...overrides,
  };
}

export async function startTestPod(modelRepo: string, overrides: Partial<PodOptions> = {}): Promise<Pod> {
  return Pod.start(testPodOptions(modelRepo, overrides));
}

type UnaryFn = (
  req: unknown,
  meta: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: grpc.requestCallback<unknown>,
) => void;

/** A real grpc-js client for inference.GRPCInferenceService and grpc.health.v1.Health. */
/**
 * A raw-bytes client of xds.service.orca.v3.OpenRcaService (StreamCoreMetrics), for the pod's
 * out-of-band load reports.
 */
export const OrcaClient = grpc.makeGenericClientConstructor(
  {
    streamCoreMetrics: {
      path: '/xds.service.orca.v3.OpenRcaService/StreamCoreMetrics',
      requestStream: false,
      responseStream: true,
      requestSerialize: (b: Buffer) => b,
      requestDeserialize: (b: Buffer) => b,
      responseSerialize: (b: Buffer) => b,
      responseDeserialize: (b: Buffer) => b,
    },
  },
  'orca',
);
/** OrcaLoadReportRequest{report_interval: 0.1 s}: field 1 (Duration), nanos (field 2) 1e8. */
export const ORCA_REQUEST = Buffer.from([0x0a, 0x05, 0x10, 0x80, 0xc2, 0xd7, 0x2f]);

export class KServeClient {
  readonly client: grpc.Client;
  readonly health: grpc.Client;

  constructor(port: number) {
    const Ctor = grpc.makeGenericClientConstructor(
      grpcServiceDefinition(GRPCInferenceService),
      'GRPCInferenceService',
    );
    this.client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const HealthCtor = grpc.makeGenericClientConstructor(grpcServiceDefinition(Health), 'Health');
    this.health = new HealthCtor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  }

  /** A unary call; `req` is the init shape of the method's request message. */
  call<T>(
    method: string,
    req: Record<string, unknown>,
    opts: grpc.CallOptions = {},
    client = this.client,
  ): Promise<T> {
    const service = client === this.health ? Health : GRPCInferenceService;
    const desc = service.methods.find((m) => m.localName === method);
    if (!desc) throw new Error(`no method ${method}`);
    const fn = (client as unknown as Record<string, UnaryFn>)[method]!.bind(client);
    const message = create(desc.input, req as never);
    return new Promise((resolve, reject) => {
      fn(message, new grpc.Metadata(), opts, (err, res) => (err ? reject(err) : resolve(res as T)));
    });
  }

  infer(
    req: MessageInitShape<typeof ModelInferRequestSchema>,
    opts: grpc.CallOptions = {},
  ): Promise<ModelInferResponse> {
    return this.call<ModelInferResponse>('modelInfer', req as Record<string, unknown>, opts);
  }

  close(): void {
    this.client.close();
    this.health.close();
  }
}

/** A float32 tensor as raw little-endian bytes (what raw_input_contents carries). */
export function f32Bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** Copies: a Buffer's slice() is a view into a shared pool, and the bytes may be unaligned. */
export function f32Of(bytes: Uint8Array): Float32Array {
  const copy = new Uint8Array(bytes);
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
}

/** Deterministic inputs: row r of a [rows, ...dims] tensor differs from every other row. */
export function inputRows(rows: number, perRow: number, seed: number): Float32Array {
  const out = new Float32Array(rows * perRow);
  for (let i = 0; i < out.length; i++) out[i] = Math.sin(seed * 7.31 + i * 0.37) * 0.5 + 0.5;
  return out;
}

/** Direct ONNX Runtime in this process: the reference the pod must match. */
export class ReferenceSession {
  private constructor(readonly session: ort.InferenceSession) {}

  static async open(modelPath: string): Promise<ReferenceSession> {
    return new ReferenceSession(await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1 }));
  }

  async run(input: Float32Array, dims: readonly number[]): Promise<Float32Array> {
    const name = this.session.inputNames[0]!;
    const out = await this.session.run({ [name]: new ort.Tensor('float32', input, [...dims]) });
    return out[this.session.outputNames[0]!]!.data as Float32Array;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

export function expectClose(actual: Float32Array, expected: Float32Array, tolerance = 1e-5): void {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    if (Math.abs(actual[i]! - expected[i]!) > tolerance)
      throw new Error(`element ${i}: ${actual[i]} != ${expected[i]} (tolerance ${tolerance})`);
  }
}

export async function waitFor<T>(
  what: string,
  fn: () => T | Promise<T>,
  timeoutMs = 10_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
