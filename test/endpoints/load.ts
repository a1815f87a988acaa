// Traffic for the endpoint suites and benchmark: a real grpc-js-xds client of the pods' KServe v2
// service dialing `xds:///<model>` (its own bootstrap, so one process holds several), and a
// closed-loop load generator that records every call's start, end and outcome.
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { serviceDefinition as grpcServiceDefinition } from '../../kernel/grpc/service-definition.js';
import {
  GRPCInferenceService,
  type ModelInferRequest,
  ModelInferRequestSchema,
  type ModelInferResponse,
} from '../../protos/gen/inference/grpc_predict_v2_pb.js';
import { bootstrapFor } from '../helpers/xds-client.js';

const BOOTSTRAP_OPTION = 'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config';
const InferenceClient = grpc.makeGenericClientConstructor(
  grpcServiceDefinition(GRPCInferenceService),
  'GRPCInferenceService',
);

type Unary = (
  req: ModelInferRequest,
  meta: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res?: ModelInferResponse) => void,
) => void;

/** The `affine` model's request: a fixed [2,3] FP32 tensor (y = 2x + 1, no batching). */
export function affineRequest(): ModelInferRequest {
  return create(ModelInferRequestSchema, {
    modelName: 'affine',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [2n, 3n] }],
    rawInputContents: [new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer)],
  });
}

/** A gRPC client of inference.GRPCInferenceService at `target`. */
export class InferenceCaller {
  private readonly client: grpc.Client;
  private readonly unary: Unary;

  constructor(target: string, options: grpc.ChannelOptions = {}) {
    this.client = new InferenceClient(target, grpc.credentials.createInsecure(), options);
    const c = this.client as unknown as Record<string, Unary>;
    this.unary = c.modelInfer!.bind(this.client);
  }

  /** Resolves with null on success, else the gRPC status code. */
  infer(req: ModelInferRequest, timeoutMs = 5000): Promise<number | null> {
    return new Promise((resolve) => {
      this.unary(req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err) =>
        resolve(err ? err.code : null),
      );
    });
  }

  /** The answer itself (rejects with the gRPC error). */
  call(req: ModelInferRequest, timeoutMs = 5000): Promise<ModelInferResponse> {
    return new Promise((resolve, reject) => {
      this.unary(req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) =>
        err || !res ? reject(err ?? new Error('no answer')) : resolve(res),
      );
    });
  }

  /** The trailers of one successful call (rejects with the gRPC error). */
  trailers(req: ModelInferRequest, timeoutMs = 5000): Promise<grpc.Metadata> {
    return new Promise((resolve, reject) => {
      const call = (this.unary as unknown as (...a: unknown[]) => grpc.ClientUnaryCall)(
        req,
        new grpc.Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err: grpc.ServiceError | null) => err && reject(err),
      );
      call.on('status', (st: grpc.StatusObject) => st.code === grpc.status.OK && resolve(st.metadata));
    });
  }

  close(): void {
    this.client.close();
  }
}

/** A proxyless client dialing `xds:///<model>`, routed by the control plane. */
export class XdsInferenceClient extends InferenceCaller {
  constructor(xdsAddress: string, model: string, nodeId: string) {
    super(`xds:///${model}`, { [BOOTSTRAP_OPTION]: bootstrapFor(xdsAddress, nodeId) });
  }
}

export interface Call {
  readonly startMs: number;
  readonly endMs: number;
  /** null: success; else the gRPC status code. */
  readonly code: number | null;
}

export interface LoadSummary {
  readonly calls: number;
  readonly failures: number;
  readonly errorRate: number;
  readonly throughputRps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Figures for the calls that started in [fromMs, toMs) (performance.now() time). */
export function summarize(calls: readonly Call[], fromMs = 0, toMs = Number.POSITIVE_INFINITY): LoadSummary {
  const inside = calls.filter((c) => c.startMs >= fromMs && c.startMs < toMs);
  const ok = inside.filter((c) => c.code === null);
  const latencies = ok.map((c) => c.endMs - c.startMs).sort((a, b) => a - b);
  const spanMs = inside.length
    ? Math.max(...inside.map((c) => c.endMs)) - Math.min(...inside.map((c) => c.startMs))
    : 0;
  return {
    calls: inside.length,
    failures: inside.length - ok.length,
    errorRate: inside.length ? (inside.length - ok.length) / inside.length : 0,
    throughputRps: spanMs > 0 ? (1000 * ok.length) / spanMs : 0,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}

/** Closed loop: `concurrency` callers, each sending its next call when the last one ends. */
export class LoadGenerator {
  readonly calls: Call[] = [];
  private running = false;
  private loops: Promise<void>[] = [];

  /** `pauseMs`: a caller's think time between calls (0: back to back). */
  constructor(
    private readonly clients: readonly InferenceCaller[],
    private readonly req: ModelInferRequest = affineRequest(),
    private readonly pauseMs = 0,
  ) {}

  start(concurrency: number): void {
    this.running = true;
    for (let i = 0; i < concurrency; i++) this.loops.push(this.loop(this.clients[i % this.clients.length]!));
  }

  async stop(): Promise<Call[]> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
    return this.calls;
  }

  private async loop(client: InferenceCaller): Promise<void> {
    while (this.running) {
      const startMs = performance.now();
      const code = await client.infer(this.req);
      this.calls.push({ startMs, endMs: performance.now(), code });
      // A failing call must not spin: grpc-js may fail fast while it has no endpoint.
      if (code !== null) await new Promise((r) => setTimeout(r, 5));
      else if (this.pauseMs > 0) await new Promise((r) => setTimeout(r, this.pauseMs));
    }
  }
}
