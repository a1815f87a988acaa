// An ONNX Runtime session's inputs and outputs as the signature takes them (SessionIO): the same
// for a session in a worker thread and one read on the main thread.
import type * as ort from 'onnxruntime-node';
import type { SessionIO } from '../repository/signature.js';

export function describeIO(
  names: readonly string[],
  meta: readonly ort.InferenceSession.ValueMetadata[],
): SessionIO[] {
  return names.map((name, i) => {
    const m = meta[i];
    if (!m?.isTensor) return { name, type: 'unknown', isTensor: false };
    return { name, type: m.type, shape: [...m.shape], isTensor: true };
  });
}
