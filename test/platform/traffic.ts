// Steady KServe v2 traffic through a real proxyless gRPC client (@grpc/grpc-js-xds dialing
// xds:///<model>): every answer is compared with what ONNX Runtime in this process answers for
// the version the pod says served it, and every failure is counted with its message.
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { serviceDefinition } from '../../kernel/grpc/service-definition.js';
import {
  GRPCInferenceService,
  ModelInferRequestSchema,
  type ModelInferResponse,
} from '../../protos/gen/inference/grpc_predict_v2_pb.js';
import { f32Bytes, f32Of, inputRows } from '../dataplane/harness.js';
import { bootstrapFor } from '../helpers/xds-client.js';

const BOOTSTRAP_OPTION = 'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config';
const KServe = grpc.makeGenericClientConstructor(serviceDefinition(GRPCInferenceService), 'KServe');

/** The MLP's input: [2, 1024] floats. */
export const MLP_DIMS = [2, 1024] as const;
export const MLP_INPUT = inputRows(MLP_DIMS[0], MLP_DIMS[1], 5);

export interface TrafficStats {
  ok: number;
  failed: number;
  /** Answers by the version the pod reported. */
  byVersion: Record<string, number>;
  /** Answers that differ from the reference of their version (or name an unknown version). */
  mismatched: number;
  errors: string[];
}

export class XdsTraffic {
  readonly client: grpc.Client;
  readonly stats: TrafficStats = { ok: 0, failed: 0, byVersion: {}, mismatched: 0, errors: [] };
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    xdsAddress: string,
    private readonly model: string,
    /** Expected output per registry version, for MLP_INPUT. */
    private readonly references: Map<string, Float32Array>,
  ) {
    this.client = new KServe(`xds:///${model}`, grpc.credentials.createInsecure(), {
      [BOOTSTRAP_OPTION]: bootstrapFor(xdsAddress, `platform-${model}-${process.pid}`),
    });
  }

  /** One call; resolves with the version that answered, or rejects with the gRPC error. */
  infer(deadlineMs = 10_000): Promise<string> {
    const req = create(ModelInferRequestSchema, {
      modelName: this.model,
      inputs: [{ name: 'input', datatype: 'FP32', shape: MLP_DIMS.map(BigInt) }],
      rawInputContents: [f32Bytes(MLP_INPUT)],
    });
    const fn = (this.client as unknown as Record<string, (...a: unknown[]) => void>).modelInfer!.bind(
      this.client,
    );
    return new Promise((resolve, reject) => {
      fn(
        req,
        new grpc.Metadata(),
        { deadline: Date.now() + deadlineMs },
        (err: grpc.ServiceError | null, res: ModelInferResponse) => {
          if (err) return reject(err);
          this.check(res);
          resolve(res.modelVersion);
        },
      );
    });
  }

  private check(res: ModelInferResponse): void {
    const want = this.references.get(res.modelVersion);
    const got = f32Of(res.rawOutputContents[0] ?? new Uint8Array());
    const same =
      want !== undefined && got.length === want.length && got.every((v, i) => Math.abs(v - want[i]!) <= 1e-5);
    if (!same) this.stats.mismatched++;
  }

  /** `concurrency` loops of back-to-back calls until stop(). */
  start(concurrency = 3): void {
    this.running = true;
    for (let i = 0; i < concurrency; i++)
      this.loops.push(
        (async () => {
          while (this.running) {
            try {
              const v = await this.infer();
              this.stats.ok++;
              this.stats.byVersion[v] = (this.stats.byVersion[v] ?? 0) + 1;
            } catch (err) {
              this.stats.failed++;
              if (this.stats.errors.length < 20)
                this.stats.errors.push(
                  `${String((err as Error).message)} at ${new Date().toISOString().slice(11, 23)}`,
                );
            }
            // A call that fails at once settles on the microtask queue: yield, or the loop
            // starves every timer of the test (its deadlines included).
            await new Promise((r) => setImmediate(r));
          }
        })(),
      );
  }

  /** A copy of the counts so far (to diff phases). */
  snapshot(): TrafficStats {
    return { ...this.stats, byVersion: { ...this.stats.byVersion }, errors: [...this.stats.errors] };
  }

  async stop(): Promise<TrafficStats> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
    return this.snapshot();
  }

  close(): void {
    this.client.close();
  }
}
