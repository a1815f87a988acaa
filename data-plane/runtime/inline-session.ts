// One ONNX Runtime session run on the main thread, for a model whose runs are short enough that
// blocking the event loop for one costs less than a worker thread's hop (run-placement.ts).
// Inputs reach the session as typed-array views over the decoded request bytes (a copy only when
// they are not aligned for their element size); outputs go back as byte views of the session's
// own arrays. One run at a time: a second would only wait behind the first on the same thread.
import { setTimeout as sleep } from 'node:timers/promises';
import * as ort from 'onnxruntime-node';
import { SwitchyardError } from '../../kernel/errors/errors.js';
import { DeadlineExceededError, InferenceFailedError } from '../errors.js';
import type { RunResult } from '../inference/batcher.js';
import type { SessionConfig } from '../repository/config.js';
import { bytesOf, fromOrtType, isFixedSize, toOrtType, typedView } from '../tensors/datatypes.js';
import type { Tensor } from '../tensors/tensor.js';
import type { LoadedMessage } from './protocol.js';
import type { Runner } from './runner.js';
import { sessionOptions } from './session-options.js';

export interface InlineOptions {
  readonly modelPath: string;
  /** A pre-optimized ORT-format file to prefer (no graph optimization needed at load). */
  readonly optimizedPath?: string;
  readonly session: SessionConfig;
  readonly injectDelayMs: number;
  /** What the version's worker reported when it loaded the same file. */
  readonly loaded: LoadedMessage;
}

async function createSession(o: InlineOptions): Promise<ort.InferenceSession> {
  const options = sessionOptions(o.session, 'cpu');
  if (o.optimizedPath)
    try {
      return await ort.InferenceSession.create(o.optimizedPath, {
        ...options,
        graphOptimizationLevel: 'disabled',
      });
    } catch {
      // ONNX Runtime refused the file (an upgrade, say): the ONNX file serves as well.
    }
  return ort.InferenceSession.create(o.modelPath, options);
}

function toOrt(t: Tensor): ort.Tensor {
  return new ort.Tensor(
    toOrtType(t.datatype) as ort.Tensor.Type,
    typedView(t.datatype, t.data) as ort.Tensor.DataType,
    t.shape as number[],
  );
}

function fromOrt(name: string, t: ort.Tensor): Tensor {
  const datatype = fromOrtType(t.type);
  if (!datatype || !isFixedSize(datatype))
    throw new InferenceFailedError(`output ${name} has type ${t.type}`);
  return { name, datatype, shape: t.dims, data: bytesOf(t.data as ArrayBufferView) };
}

export class InlineSession implements Runner {
  readonly place = 'inline' as const;
  readonly instances = 1;
  readonly slots = 1;
  private busyMs = 0;
  private busySince = 0;
  private running = false;
  private released = false;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly loaded: LoadedMessage,
    private injectDelayMs: number,
  ) {}

  static async create(o: InlineOptions): Promise<InlineSession> {
    return new InlineSession(await createSession(o), o.loaded, o.injectDelayMs);
  }

  busyTime(now = performance.now()): number {
    return this.busyMs + (this.running ? now - this.busySince : 0);
  }

  async run(inputs: readonly Tensor[], notAfter?: number): Promise<RunResult> {
    if (notAfter !== undefined && Date.now() >= notAfter)
      throw new DeadlineExceededError('before its batch ran');
    this.running = true;
    this.busySince = performance.now();
    try {
      if (this.injectDelayMs > 0) await sleep(this.injectDelayMs);
      const feeds: Record<string, ort.Tensor> = {};
      for (const t of inputs) feeds[t.name] = toOrt(t);
      const t0 = performance.now();
      const results = await this.session.run(feeds);
      const computeMs = performance.now() - t0 + this.injectDelayMs;
      return { outputs: this.session.outputNames.map((n) => fromOrt(n, results[n]!)), computeMs };
    } catch (err) {
      if (err instanceof SwitchyardError) throw err;
      throw new InferenceFailedError(`onnxruntime: ${(err as Error).message}`);
    } finally {
      this.running = false;
      this.busyMs += performance.now() - this.busySince;
    }
  }

  setInjectDelay(ms: number): void {
    this.injectDelayMs = ms;
  }

  /**
   * Releases the session once; later calls do nothing, as a worker pool's do. onnxruntime-node
   * rejects a second release ("Session already disposed"), and a version can be retired twice
   * (a load refused after its session was built, then replaced): unhandled, that rejection
   * ended the pod.
   */
  async stop(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.session.release();
  }
}
