// Before a version is published, ONNX Runtime must be able to load it: the file is loaded into a
// real session (in a worker thread) and its declared inputs and outputs become the catalog's
// signature. A file ORT refuses is never stored.
//
// The session is created as a managed pod creates it (kernel/artifacts/mapped-weights.ts): from
// the model with its large weights split into a file of their own, which ONNX Runtime maps
// instead of copying out of the protobuf. Measured on the 50 MB MLP on the loaded build host:
// split and write 118 ms, then a check of 0.9-1.5 s against 1.3-1.6 s from the bytes (the
// worker's own start, loading ONNX Runtime, is most of either).
// A model the split does not apply to, or whose split form ORT refuses, is loaded from its bytes
// as before: the pod falls back the same way, so what passes here is what pods can load.
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { splitWeights } from '../../kernel/artifacts/mapped-weights.js';
import { ArtifactInvalidError } from './errors.js';
import type { TensorIO } from './record.js';

const WORKER_URL = new URL('./onnx-inspect-worker.mjs', import.meta.url);
const WEIGHTS = 'model.weights';

export interface OnnxSignature {
  readonly inputs: readonly TensorIO[];
  readonly outputs: readonly TensorIO[];
}

type Reply = { ok: true; inputs: TensorIO[]; outputs: TensorIO[] } | { ok: false; error: string };

/** One session in a worker thread, from a model file's path or from its bytes. */
function check(source: { path: string } | { bytes: Uint8Array }): Promise<Reply> {
  // Bytes are copied for the worker to own: the caller keeps its own to encrypt and store them.
  const copy = 'bytes' in source ? new Uint8Array(source.bytes) : undefined;
  return new Promise((resolve) => {
    const worker = new Worker(WORKER_URL, {
      workerData: copy ? { bytes: copy } : { path: (source as { path: string }).path },
      ...(copy ? { transferList: [copy.buffer] } : {}),
    });
    let settled = false;
    const done = (reply: Reply) => {
      if (!settled) resolve(reply);
      settled = true;
    };
    // The worker released its session before answering and exits on its own.
    worker.once('message', done);
    worker.once('error', (err) => done({ ok: false, error: err.message }));
    worker.once('exit', (code) => done({ ok: false, error: `the ONNX check stopped (exit ${code})` }));
  });
}

/** The split form written to a fresh temporary directory, or undefined when nothing splits. */
async function writeMapped(bytes: Uint8Array): Promise<{ dir: string; path: string } | undefined> {
  const split = splitWeights(bytes, WEIGHTS);
  if (!split) return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'sy-onnx-check-'));
  try {
    const fh = await open(join(dir, WEIGHTS), 'w');
    try {
      for (const c of split.chunks) await fh.write(c.bytes, 0, c.bytes.length, c.offset);
    } finally {
      await fh.close();
    }
    await writeFile(join(dir, 'model.onnx'), split.graph);
    return { dir, path: join(dir, 'model.onnx') };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Loads `bytes` in ONNX Runtime; throws ArtifactInvalidError naming `what` when it cannot. */
export async function inspectOnnx(bytes: Uint8Array, what: string): Promise<OnnxSignature> {
  const mapped = await writeMapped(bytes).catch(() => undefined);
  let reply: Reply | undefined;
  try {
    if (mapped) reply = await check({ path: mapped.path });
  } finally {
    if (mapped) await rm(mapped.dir, { recursive: true, force: true });
  }
  if (!reply?.ok) reply = await check({ bytes });
  if (!reply.ok) throw new ArtifactInvalidError(what, `ONNX Runtime cannot load it: ${reply.error}`);
  return { inputs: reply.inputs, outputs: reply.outputs };
}
