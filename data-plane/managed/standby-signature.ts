// The signature of a version on standby (overcommit), for KServe model metadata before its first
// load. Read from a session of the cache's mapped form that packs nothing and optimizes nothing:
// ONNX Runtime maps the weights file and reads only the graph, a few milliseconds on the main
// thread for the ~96 MiB benchmark model (docs/DATAPLANE.md, "Cold loads"). Without a mapped form
// only a small model.onnx is read (a large one would hold the event loop while it is parsed); a
// large one answers metadata after its first load, as before.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelConfigError } from '../errors.js';
import { type ModelConfig, parseModelConfig } from '../repository/config.js';
import { resolveSignature } from '../repository/signature.js';
import { describeIO } from '../runtime/session-io.js';
import type { ModelSignature } from '../tensors/tensor.js';

/** The largest model.onnx read on the main thread when there is no mapped form. */
export const MAX_UNMAPPED_BYTES = 4 << 20;

/**
 * The version's signature as a load would resolve it (session metadata refined by its
 * config.yaml), or undefined when only a large model.onnx could tell it. Throws what a load
 * would refuse (a bad config, a contradicting signature, a file ONNX Runtime cannot open).
 */
export async function standbySignature(
  dir: string,
  mapped: string | undefined,
  defaults: ModelConfig,
): Promise<ModelSignature | undefined> {
  let text = '';
  try {
    text = await readFile(join(dir, 'config.yaml'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const { config, issues } = parseModelConfig(text, defaults);
  if (issues.length) throw new ModelConfigError('config.yaml', issues);
  const path = mapped ?? join(dir, 'model.onnx');
  if (!mapped && (await stat(path)).size > MAX_UNMAPPED_BYTES) return undefined;
  const session = await ort.InferenceSession.create(path, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'disabled',
    extra: { session: { disable_prepacking: '1' } },
  });
  try {
    const resolved = resolveSignature(
      {
        inputs: describeIO(session.inputNames, session.inputMetadata),
        outputs: describeIO(session.outputNames, session.outputMetadata),
      },
      config,
    );
    if (resolved.issues.length) throw new ModelConfigError(undefined, resolved.issues);
    return resolved.signature;
  } finally {
    await session.release();
  }
}
