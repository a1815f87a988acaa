// Messages between the main thread and a session worker. Tensor bytes travel as transferred
// ArrayBuffers (moved, not copied); everything else is small and structured-cloned.
import type { ExecutionProviderName, SessionConfig } from '../repository/config.js';
import type { SessionIO } from '../repository/signature.js';
import type { OrtType } from '../tensors/datatypes.js';

export interface WireTensor {
  readonly name: string;
  readonly type: OrtType;
  readonly dims: readonly number[];
  readonly buffer: ArrayBuffer;
  readonly byteOffset: number;
  readonly byteLength: number;
}

export interface LoadMessage {
  readonly type: 'load';
  readonly modelPath: string;
  readonly executionProvider: ExecutionProviderName;
  readonly session: SessionConfig;
  /** Extra time per run, to play a slow pod in tests. */
  readonly injectDelayMs: number;
  /** CPU only: the model's pre-optimized ORT-format file, loaded in place of modelPath. */
  readonly optimizedPath?: string;
  /**
   * The same model with its weights in a file ONNX Runtime maps (a managed pod's cache,
   * kernel/artifacts/mapped-weights.ts), tried before modelPath; not used while writing the ORT file.
   */
  readonly mappedPath?: string;
  /** CPU only: write the optimized model here (ORT format) while creating the session. */
  readonly writeOptimized?: string;
}

export interface RunMessage {
  readonly type: 'run';
  readonly id: number;
  readonly inputs: readonly WireTensor[];
  /** Epoch ms: the earliest deadline in the batch. Past it, the run is refused, not run. */
  readonly notAfter?: number;
}

/** Changes the injected delay of later runs (a slow pod that recovers, in routing tests). */
export interface SetDelayMessage {
  readonly type: 'set-delay';
  readonly injectDelayMs: number;
}

export type ToWorker = LoadMessage | RunMessage | SetDelayMessage;

export interface LoadedMessage {
  readonly type: 'loaded';
  readonly inputs: readonly SessionIO[];
  readonly outputs: readonly SessionIO[];
  /** The provider the session really uses. */
  readonly provider: ExecutionProviderName;
  /** Why a requested provider was not used. */
  readonly fallbackReason?: string;
  readonly loadMs: number;
  /** The session came from the pre-optimized ORT-format file (LoadMessage.optimizedPath). */
  readonly fromOptimized?: boolean;
  /** The session came from the mapped-weights form (LoadMessage.mappedPath). */
  readonly fromMapped?: boolean;
}

export interface LoadFailedMessage {
  readonly type: 'load-failed';
  readonly message: string;
}

export interface ResultMessage {
  readonly type: 'result';
  readonly id: number;
  readonly outputs: readonly WireTensor[];
  readonly computeMs: number;
}

export interface RunFailedMessage {
  readonly type: 'run-failed';
  readonly id: number;
  readonly message: string;
  /** The batch's deadline had passed when its turn came: it did not run. */
  readonly expired?: boolean;
}

export type FromWorker = LoadedMessage | LoadFailedMessage | ResultMessage | RunFailedMessage;

/** Buffers to list as transferables (each once: two views may share one buffer). */
export function transferList(tensors: readonly WireTensor[]): ArrayBuffer[] {
  return [...new Set(tensors.map((t) => t.buffer))];
}
