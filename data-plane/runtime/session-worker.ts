// One ONNX Runtime session in its own thread: session.run() blocks the thread it runs on, so
// it never runs on the main thread that serves gRPC and HTTP. Runs one batch at a time.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { InternalError } from '../../kernel/errors/index.js';
import { copyBytes, type Datatype, fromOrtType, typedView } from '../tensors/datatypes.js';
import { cudaFallbackReason, missingCudaProviderFiles, ortNativeDir } from './cuda-provider.js';
import type { FromWorker, LoadMessage, ToWorker, WireTensor } from './protocol.js';
import { transferList } from './protocol.js';
import { describeIO } from './session-io.js';
import { sessionOptions } from './session-options.js';

const port = parentPort;
if (!port) throw new InternalError('session-worker.ts must run in a worker thread');

let session: ort.InferenceSession | undefined;
let injectDelayMs = 0;
let runs: Promise<void> = Promise.resolve();

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(msg, transfer);
}

/** The ORT-format bytes a session uses in place; kept for as long as the session lives. */
const inUse: Uint8Array[] = [];

/**
 * A session from the pre-optimized ORT-format file: no graph optimization at load, and the
 * initializers used where they lie in the file's bytes rather than copied (docs/DATAPLANE.md,
 * "Cold loads"). Undefined when the file cannot be used (then the ONNX file is loaded).
 */
async function fromOptimized(msg: LoadMessage, path: string): Promise<ort.InferenceSession | undefined> {
  try {
    // The Buffer itself (a Uint8Array): a copy would hold the weights twice until collected.
    // Read at once: this thread has nothing else to do, and the asynchronous read hops between
    // threads per 512 KiB, each hop waiting for a core on a busy machine (2-3x slower here).
    const bytes = readFileSync(path);
    const o = sessionOptions(msg.session, 'cpu');
    const session = await ort.InferenceSession.create(bytes, {
      ...o,
      graphOptimizationLevel: 'disabled',
      extra: {
        session: {
          ...(o.extra as { session: Record<string, unknown> }).session,
          use_ort_model_bytes_directly: '1',
          use_ort_model_bytes_for_initializers: '1',
        },
      },
    });
    inUse.push(bytes);
    return session;
  } catch {
    return undefined;
  }
}

async function load(msg: LoadMessage): Promise<void> {
  const t0 = performance.now();
  injectDelayMs = msg.injectDelayMs;
  let provider: 'cpu' | 'cuda' = 'cpu';
  let fallbackReason: string | undefined;
  if (msg.executionProvider === 'cuda') {
    // The CUDA provider library is optional in onnxruntime-node (its installer fetches it);
    // creating the session is the only honest test of whether it works here.
    try {
      session = await ort.InferenceSession.create(msg.modelPath, sessionOptions(msg.session, 'cuda'));
      provider = 'cuda';
    } catch (err) {
      const dir = ortNativeDir();
      fallbackReason = cudaFallbackReason(err, dir, missingCudaProviderFiles(dir));
    }
  }
  if (!session && msg.optimizedPath) session = await fromOptimized(msg, msg.optimizedPath);
  const fromOptimizedFile = session !== undefined && provider === 'cpu';
  let fromMapped = false;
  if (!session && msg.mappedPath && !msg.writeOptimized) {
    // ONNX Runtime maps the weights file (docs/DATAPLANE.md, "Cold loads"); one it refuses
    // falls back to model.onnx below.
    session = await ort.InferenceSession.create(msg.mappedPath, sessionOptions(msg.session, 'cpu')).catch(
      () => undefined,
    );
    fromMapped = session !== undefined;
  }
  session ??= await ort.InferenceSession.create(msg.modelPath, {
    ...sessionOptions(msg.session, 'cpu'),
    // ORT warns that an ORT_ENABLE_ALL file is for this machine only: it is (the pod's cache).
    ...(msg.writeOptimized
      ? { optimizedModelFilePath: msg.writeOptimized, logSeverityLevel: 3 as const }
      : {}),
  });
  post({
    type: 'loaded',
    inputs: describeIO(session.inputNames, session.inputMetadata),
    outputs: describeIO(session.outputNames, session.outputMetadata),
    provider,
    ...(fallbackReason ? { fallbackReason } : {}),
    loadMs: performance.now() - t0,
    ...(fromOptimizedFile ? { fromOptimized: true } : {}),
    ...(fromMapped ? { fromMapped: true } : {}),
  });
}

function toOrt(t: WireTensor): ort.Tensor {
  const datatype = fromOrtType(t.type) as Datatype;
  const data = typedView(datatype, new Uint8Array(t.buffer, t.byteOffset, t.byteLength));
  return new ort.Tensor(t.type as ort.Tensor.Type, data as ort.Tensor.DataType, [...t.dims]);
}

function toWire(name: string, t: ort.Tensor): WireTensor {
  const src = t.data as ArrayBufferView;
  // Move the output's own buffer (V8 keeps its memory alive for the receiving thread); copy
  // only when the tensor is a view into a larger or shared buffer.
  const owned =
    src.byteOffset === 0 && src.byteLength === src.buffer.byteLength && src.buffer instanceof ArrayBuffer;
  const data = owned ? src : copyBytes(src);
  return {
    name,
    type: t.type as WireTensor['type'],
    dims: [...t.dims],
    buffer: data.buffer as ArrayBuffer,
    byteOffset: data.byteOffset,
    byteLength: data.byteLength,
  };
}

async function run(id: number, inputs: readonly WireTensor[], notAfter: number | undefined): Promise<void> {
  const s = session;
  if (!s) {
    post({ type: 'run-failed', id, message: 'no session loaded' });
    return;
  }
  if (notAfter !== undefined && Date.now() >= notAfter) {
    post({ type: 'run-failed', id, message: 'deadline passed before the run started', expired: true });
    return;
  }
  try {
    if (injectDelayMs > 0) await sleep(injectDelayMs);
    const feeds: Record<string, ort.Tensor> = {};
    for (const t of inputs) feeds[t.name] = toOrt(t);
    const t0 = performance.now();
    const results = await s.run(feeds);
    const computeMs = performance.now() - t0 + injectDelayMs;
    const outputs = s.outputNames.map((name) => toWire(name, results[name]!));
    post({ type: 'result', id, outputs, computeMs }, transferList(outputs));
  } catch (err) {
    post({ type: 'run-failed', id, message: (err as Error).message });
  }
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'load') {
    load(msg).catch((err: unknown) => post({ type: 'load-failed', message: (err as Error).message }));
  } else if (msg.type === 'set-delay') {
    injectDelayMs = msg.injectDelayMs;
  } else {
    // One run at a time, in arrival order: the pool may queue the next batch behind this one.
    runs = runs.then(() => run(msg.id, msg.inputs, msg.notAfter));
  }
});
