// Worker-thread entry for onnx-inspect.ts: creating an ONNX Runtime session from a large model
// blocks the thread it runs on, so a push never stalls the admin API's event loop. Plain JS, so
// it needs no TypeScript loader in the worker. It loads ONNX Runtime first, then waits for the
// model: a push starts it while the upload still arrives, so loading ORT overlaps the transfer.
// Loads the model from `path` (the split form, whose weights ORT maps) or from `bytes`, and
// posts the session's inputs and outputs, or why ONNX Runtime refused it.
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

function describe(names, meta) {
  return names.map((name, i) => {
    const m = meta[i];
    if (!m?.isTensor) return { name, type: 'non-tensor', shape: [] };
    return { name, type: m.type, shape: [...m.shape] };
  });
}

// One thread that never spins: the check must not leave cores busy for the admin API (a session's
// default pool spins between runs, and a worker terminated around a live session leaks it). No
// weight prepacking: it copies every MatMul weight into MLAS's layout for runs the check never
// makes (what it loads and the signature it reads are the same without it).
const OPTIONS = {
  graphOptimizationLevel: 'disabled',
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  extra: {
    session: {
      intra_op: { allow_spinning: '0' },
      inter_op: { allow_spinning: '0' },
      disable_prepacking: '1',
    },
  },
};

const model = await new Promise((resolve) => parentPort.once('message', resolve));
try {
  const session = await ort.InferenceSession.create(model.path ?? model.bytes, OPTIONS);
  const reply = {
    ok: true,
    inputs: describe(session.inputNames, session.inputMetadata),
    outputs: describe(session.outputNames, session.outputMetadata),
  };
  await session.release();
  parentPort.postMessage(reply);
} catch (err) {
  parentPort.postMessage({ ok: false, error: String(err?.message ?? err).split('\n')[0] });
}
