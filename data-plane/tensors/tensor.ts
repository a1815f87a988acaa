// The pod's own request and response shapes, independent of the wire (gRPC or JSON). Both
// servers convert into these; the batcher and the runtime only see these.
import type { Cancellation } from '../inference/cancellation.js';
import type { RequestHooks } from '../tracing/hooks.js';
import type { Datatype } from './datatypes.js';

/** A tensor as raw little-endian row-major bytes. */
export interface Tensor {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

/** A model's declared input or output; -1 marks a dimension of any size. */
export interface TensorSpec {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
}

export interface ModelSignature {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

export interface InferRequest {
  readonly model: string;
  /** Empty or undefined: the newest ready version. */
  readonly version?: string;
  readonly id?: string;
  readonly inputs: readonly Tensor[];
  /** Undefined or empty: every output. */
  readonly outputs?: readonly string[];
}

export interface InferResponse {
  readonly model: string;
  readonly version: string;
  readonly id?: string;
  readonly outputs: readonly Tensor[];
}

/** How long a request may wait and whether its caller is still there. */
export interface RequestContext {
  /** Epoch milliseconds; Infinity for none. */
  readonly deadline: number;
  readonly cancellation?: Cancellation;
  /** Told as the request moves (its trace and log line: data-plane/tracing). */
  readonly hooks?: RequestHooks;
}
