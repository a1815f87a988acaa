// Mirroring for proxyless gRPC clients, which cannot mirror by themselves: after this pod has
// answered a request of the stable version, a sampled copy goes to one of the candidate's pods
// (round robin), its answer is compared with the one the client already has and then dropped.
// The client never waits for the copy and never sees the candidate's answer. Copies in flight
// are bounded; beyond the bound they are skipped, so a slow candidate cannot hold the pod's
// memory. Results go to the heartbeat's mirror counters (docs/DATAPLANE.md, "Mirror forwarding").

import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { serviceDefinition } from '../../kernel/grpc/service-definition.js';
import type { Logger } from '../../kernel/log/index.js';
import {
  GRPCInferenceService,
  type ModelInferRequest,
  ModelInferRequestSchema,
  type ModelInferResponse,
} from '../../protos/gen/inference/grpc_predict_v2_pb.js';
import { isDatatype } from '../tensors/datatypes.js';
import type { InferRequest, InferResponse, Tensor } from '../tensors/tensor.js';
import { compareOutputs } from './compare.js';
import type { MirrorSettings } from './settings.js';

export interface MirrorSink {
  mirrored(model: string, version: string, agreed: boolean, absDiff: number): void;
}

/** Copies in flight at most; more are skipped (counted in `skipped`). */
export const MAX_MIRROR_IN_FLIGHT = 64;
const MIRROR_DEADLINE_MS = 5000;

type Unary = (
  req: ModelInferRequest,
  meta: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res?: ModelInferResponse) => void,
) => void;

const Client = grpc.makeGenericClientConstructor(
  serviceDefinition(GRPCInferenceService),
  'GRPCInferenceService',
);

function copyOf(req: InferRequest, toVersion: string): ModelInferRequest {
  return create(ModelInferRequestSchema, {
    modelName: req.model,
    modelVersion: toVersion,
    inputs: req.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape.map(BigInt) })),
    rawInputContents: req.inputs.map((t) => t.data),
    outputs: (req.outputs ?? []).map((name) => ({ name })),
  });
}

function outputsOf(res: ModelInferResponse): Tensor[] {
  return res.outputs.flatMap((o, i) => {
    const data = res.rawOutputContents[i];
    return data && isDatatype(o.datatype)
      ? [{ name: o.name, datatype: o.datatype, shape: o.shape.map(Number), data }]
      : [];
  });
}

export class MirrorForwarder {
  private settings: MirrorSettings | undefined;
  private readonly clients = new Map<string, { client: grpc.Client; unary: Unary }>();
  private next = 0;
  private inFlight = 0;
  /** Copies sent, answered, failed (no answer) and skipped (bound reached), since start. */
  readonly counts = { sent: 0, answered: 0, failed: 0, skipped: 0 };

  constructor(
    private readonly sink: MirrorSink,
    private readonly log: Logger,
    private readonly random: () => number = Math.random,
  ) {}

  get current(): MirrorSettings | undefined {
    return this.settings;
  }

  /** New settings (undefined: stop). Connections to targets no longer named are closed. */
  configure(s: MirrorSettings | undefined): void {
    const before = this.settings;
    this.settings = s;
    const keep = new Set(s?.targets ?? []);
    for (const [target, c] of this.clients)
      if (!keep.has(target)) {
        c.client.close();
        this.clients.delete(target);
      }
    if (JSON.stringify(before) !== JSON.stringify(s))
      this.log.info(
        s
          ? `mirror: ${s.percent} % of ${s.model} ${s.fromVersion} to ${s.toVersion} on ${s.targets.join(', ')}`
          : 'mirror: off',
      );
  }

  /**
   * Whether the answer to a request of `model` `version` is to be copied, decided before the run:
   * the run may move the request's buffers to a session worker, so a picked request keeps a copy
   * of its inputs for offer() (inference-service.ts).
   */
  sample(model: string, version: string): boolean {
    const s = this.settings;
    return (
      s !== undefined && model === s.model && version === s.fromVersion && this.random() * 100 < s.percent
    );
  }

  /** Called after this pod answered a request sample() picked, with that request; returns at once. */
  offer(req: InferRequest, res: InferResponse): void {
    const s = this.settings;
    if (!s || res.model !== s.model || res.version !== s.fromVersion) return;
    if (this.inFlight >= MAX_MIRROR_IN_FLIGHT) {
      this.counts.skipped++;
      return;
    }
    const target = s.targets[this.next++ % s.targets.length]!;
    const { unary } = this.clientFor(target);
    this.inFlight++;
    this.counts.sent++;
    unary(
      copyOf(req, s.toVersion),
      new grpc.Metadata(),
      { deadline: Date.now() + MIRROR_DEADLINE_MS },
      (err, answer) => {
        this.inFlight--;
        // The candidate's own failures are counted by the candidate pod (its interval errors).
        if (err || !answer) {
          this.counts.failed++;
          return;
        }
        this.counts.answered++;
        const c = compareOutputs(res.outputs, outputsOf(answer), s.tolerance);
        this.sink.mirrored(s.model, s.fromVersion, c.agreed, c.absDiff);
      },
    );
  }

  close(): void {
    this.configure(undefined);
  }

  private clientFor(target: string): { client: grpc.Client; unary: Unary } {
    let c = this.clients.get(target);
    if (!c) {
      const client = new Client(target, grpc.credentials.createInsecure());
      c = { client, unary: (client as unknown as Record<string, Unary>).modelInfer!.bind(client) };
      this.clients.set(target, c);
    }
    return c;
  }
}
