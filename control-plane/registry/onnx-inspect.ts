// Before a version is published, ONNX Runtime must be able to load it: the file is loaded into a
// real session (in a worker thread) and its declared inputs and outputs become the catalog's
// signature. A file ORT refuses is never stored.
import { Worker } from 'node:worker_threads';
import { ArtifactInvalidError } from './errors.js';
import type { TensorIO } from './record.js';

const WORKER_URL = new URL('./onnx-inspect-worker.mjs', import.meta.url);

export interface OnnxSignature {
  readonly inputs: readonly TensorIO[];
  readonly outputs: readonly TensorIO[];
}

type Reply = { ok: true; inputs: TensorIO[]; outputs: TensorIO[] } | { ok: false; error: string };

/** Loads `bytes` in ONNX Runtime; throws ArtifactInvalidError naming `what` when it cannot. */
export function inspectOnnx(bytes: Uint8Array, what: string): Promise<OnnxSignature> {
  // A copy the worker owns: the caller keeps its bytes to encrypt and store them.
  const copy = new Uint8Array(bytes);
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_URL, { workerData: { bytes: copy }, transferList: [copy.buffer] });
    let settled = false;
    worker.once('message', (reply: Reply) => {
      settled = true;
      if (reply.ok) resolve({ inputs: reply.inputs, outputs: reply.outputs });
      else reject(new ArtifactInvalidError(what, `ONNX Runtime cannot load it: ${reply.error}`));
      // The worker released its session before answering and exits on its own.
    });
    worker.once('error', (err) => {
      if (!settled) reject(new ArtifactInvalidError(what, `ONNX Runtime cannot load it: ${err.message}`));
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new ArtifactInvalidError(what, `the ONNX check stopped (exit ${code})`));
    });
  });
}
