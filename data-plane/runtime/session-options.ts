// ONNX Runtime session options from a version's config (pure): the same for a session in a
// worker thread and one run inline on the main thread (docs/DATAPLANE.md, "Runtime").
import type * as ort from 'onnxruntime-node';
import type { SessionConfig } from '../repository/config.js';

export function sessionOptions(
  s: SessionConfig,
  provider: 'cpu' | 'cuda',
): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    graphOptimizationLevel: s.graphOptimization,
    executionMode: s.executionMode,
    ...(s.intraOpThreads ? { intraOpNumThreads: s.intraOpThreads } : {}),
    ...(s.interOpThreads ? { interOpNumThreads: s.interOpThreads } : {}),
    extra: {
      session: {
        intra_op: { allow_spinning: s.allowSpinning ? '1' : '0' },
        // `background` packs: the pool asks for `off` itself for a version's first sessions.
        ...(s.prepack === 'off' ? { disable_prepacking: '1' } : {}),
      },
    },
  };
}
