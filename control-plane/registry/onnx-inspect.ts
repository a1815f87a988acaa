// Before a version is published, ONNX Runtime must be able to load it: the file is loaded into a
// real session (in a worker thread) and its declared inputs and outputs become the catalog's
// signature. A file ORT refuses is never stored.
//
// The session is created as a managed pod creates it (kernel/artifacts/mapped-weights.ts): from
// the model with its large weights split into a file of their own, which ONNX Runtime maps
// instead of copying out of the protobuf. Measured on the 50 MB MLP on the loaded build host:
// split and write 118 ms, then a check of 0.9-1.5 s against 1.3-1.6 s from the bytes (the
// worker's own start, loading ONNX Runtime, is most of either: a push therefore starts the
// worker when its upload begins, OnnxChecker). Unlike a pod's, the check's session does not
// prepack weights: it never runs the model.
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

/**
 * A worker thread that loads ONNX Runtime at once and then waits for one model to check: started
 * when a push's upload begins, so loading ORT overlaps the transfer instead of following it.
 */
export class OnnxChecker {
  private readonly worker = new Worker(WORKER_URL);
  private readonly reply: Promise<Reply>;
  private used = false;

  constructor() {
    this.reply = new Promise((resolve) => {
      let settled = false;
      const done = (reply: Reply) => {
        if (!settled) resolve(reply);
        settled = true;
      };
      // The worker released its session before answering and exits on its own.
      this.worker.once('message', done);
      this.worker.once('error', (err) => done({ ok: false, error: err.message }));
      this.worker.once('exit', (code) => done({ ok: false, error: `the ONNX check stopped (exit ${code})` }));
    });
  }

  /** One session from a model file's path or from its bytes; a checker checks one model. */
  check(source: { path: string } | { bytes: Uint8Array }): Promise<Reply> {
    if (this.used) throw new Error('an OnnxChecker checks one model');
    this.used = true;
    // Bytes are copied for the worker to own: the caller keeps its own to encrypt and store them.
    const copy = 'bytes' in source ? new Uint8Array(source.bytes) : undefined;
    this.worker.postMessage(copy ? { bytes: copy } : source, copy ? [copy.buffer] : []);
    return this.reply;
  }

  /** Stops a worker that was never given a model (the push ended before its check). */
  close(): void {
    if (!this.used) void this.worker.terminate();
  }
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

/**
 * Loads `bytes` in ONNX Runtime; throws ArtifactInvalidError naming `what` when it cannot. The
 * first check runs on `ready` when given (a worker started before the bytes were all there).
 */
export async function inspectOnnx(
  bytes: Uint8Array,
  what: string,
  ready?: OnnxChecker,
): Promise<OnnxSignature> {
  const first = ready ?? new OnnxChecker();
  const mapped = await writeMapped(bytes).catch(() => undefined);
  let reply: Reply;
  try {
    reply = await first.check(mapped ? { path: mapped.path } : { bytes });
  } finally {
    if (mapped) await rm(mapped.dir, { recursive: true, force: true });
  }
  if (!reply.ok && mapped) reply = await new OnnxChecker().check({ bytes });
  if (!reply.ok) throw new ArtifactInvalidError(what, `ONNX Runtime cannot load it: ${reply.error}`);
  return { inputs: reply.inputs, outputs: reply.outputs };
}
