// The wire-independent core of the pod's API: both servers (gRPC, HTTP) call these methods.
// infer(): resolve the version, check the tensors, queue for a batch, return the caller's rows
// and the outputs it asked for, and report the outcome.
import { asSwitchyardError, type SwitchyardError } from '../../kernel/errors/errors.js';
import { InvalidInferenceError } from '../errors.js';
import { validateRequest } from '../inference/validate.js';
import type { InferenceObserver } from '../stats/observer.js';
import { outcomeOf } from '../stats/observer.js';
import type { InferRequest, InferResponse, ModelSignature, RequestContext } from '../tensors/tensor.js';
import { FaultInjector } from './faults.js';
import type { Lifecycle } from './lifecycle.js';
import type { ModelManager } from './model-manager.js';
import { compareVersions } from './version-order.js';

export const SERVER_NAME = 'switchyard-pod';
export const SERVER_VERSION = '0.1.0';
export const PLATFORM = 'onnxruntime_onnx';

export interface ModelMetadata {
  readonly name: string;
  readonly versions: readonly string[];
  readonly platform: string;
  readonly signature: ModelSignature;
  /** The version the metadata describes. */
  readonly version: string;
}

/** Overcommit's claim on a version for one request (data-plane/managed/overcommit.ts). */
export interface VersionHolds {
  hold(
    model: string,
    version: string | undefined,
    deadline: number,
  ): { readonly ready?: Promise<void>; release(model: string, version: string): void } | undefined;
  /**
   * Whether the version (without one: any version of the model) is assigned to the pod, loaded
   * or on standby: one on standby is not ready, but it is not unknown either.
   */
  knows(model: string, version?: string): boolean;
  /** A version on standby whose signature is known (without one named: the newest such). */
  standbyMetadata?(
    model: string,
    version?: string,
  ): { version: string; signature: ModelSignature } | undefined;
  /** The model's versions on standby whose signature is known. */
  standbyVersions?(model: string): string[];
}

export class InferenceService {
  /** Set on a managed pod with --overcommit: a request may wait for its version to load. */
  holds: VersionHolds | undefined;

  constructor(
    readonly models: ModelManager,
    readonly lifecycle: Lifecycle,
    private readonly observer: InferenceObserver,
    readonly faults: FaultInjector = new FaultInjector(),
    /** Sees a sample of the answered requests after the fact (mirroring: data-plane/mirror). */
    private readonly tap?: {
      sample(model: string, version: string): boolean;
      offer(req: InferRequest, res: InferResponse): void;
    },
  ) {}

  live(): boolean {
    return this.lifecycle.phase !== 'stopped';
  }

  ready(): boolean {
    return this.lifecycle.ready;
  }

  modelReady(model: string, version?: string): boolean {
    try {
      this.models.resolve(model, version);
      return this.lifecycle.phase !== 'refusing' && this.lifecycle.phase !== 'stopped';
    } catch {
      return false;
    }
  }

  /**
   * A loaded version's metadata, else (overcommit) a standby version's from the signature read
   * when it went on standby: it is assigned and served here, loaded by its first request.
   */
  modelMetadata(model: string, version?: string): ModelMetadata {
    const ready = this.models
      .versionsOf(model)
      .filter((x) => x.state === 'ready')
      .map((x) => x.version);
    const standby = this.holds?.standbyVersions?.(model) ?? [];
    const versions = [...new Set([...ready, ...standby])].sort(compareVersions);
    let v: { version: string; signature: ModelSignature };
    try {
      const served = this.models.resolve(model, version);
      v = { version: served.version, signature: served.signature! };
    } catch (err) {
      const idle = this.holds?.standbyMetadata?.(model, version);
      if (!idle) throw err;
      v = idle;
    }
    return { name: model, versions, platform: PLATFORM, signature: v.signature, version: v.version };
  }

  /** Counts a request that failed before infer() saw it (refused, too large, undecodable). */
  rejected(model: string, version: string | undefined, err: unknown): SwitchyardError {
    const e = asSwitchyardError(err);
    this.observer.finished(model, version ?? '', outcomeOf(e.code), 0);
    return e;
  }

  /** Admission is the caller's job (Lifecycle.enter), so it can cover reading the body too. */
  async infer(req: InferRequest, ctx: RequestContext): Promise<InferResponse> {
    const start = performance.now();
    let model = req.model;
    let version = req.version ?? '';
    const held = this.holds?.hold(req.model, req.version || undefined, ctx.deadline);
    try {
      // Only awaited when there is a load to wait for: otherwise resolve and submit follow in
      // the same turn, so the version cannot be unloaded in between.
      if (held?.ready) await held.ready;
      const v = this.models.resolve(req.model, req.version || undefined);
      model = v.model;
      version = v.version;
      ctx.hooks?.resolved(model, version);
      const checked = validateRequest(req, v.signature!, v.maxBatchSize);
      if ('issues' in checked) throw new InvalidInferenceError(checked.issues);
      this.faults.check(model, version);
      const { inputs, rows, key, outputs: wanted } = checked.ok;
      // A worker run takes the buffers a request owns alone (decoded JSON, binary REST): a request
      // picked for mirroring keeps its own copy for the candidate.
      const kept = this.tap?.sample(model, version) ? withCopiedInputs(req) : undefined;
      const all = await v.batcher!.submit(inputs, rows, key, ctx);
      const outputs = wanted.length ? wanted.map((n) => all.find((t) => t.name === n)!) : all;
      this.observer.finished(model, version, 'success', performance.now() - start);
      // Two literals rather than a spread of a temporary object (once per request).
      const res: InferResponse = req.id
        ? { model, version, id: req.id, outputs }
        : { model, version, outputs };
      if (kept) this.tap!.offer(kept, res);
      return res;
    } catch (err) {
      const e = asSwitchyardError(err);
      this.observer.finished(model, version, outcomeOf(e.code), performance.now() - start);
      throw e;
    } finally {
      held?.release(model, version);
    }
  }
}

function withCopiedInputs(req: InferRequest): InferRequest {
  return { ...req, inputs: req.inputs.map((t) => ({ ...t, data: t.data.slice() })) };
}
