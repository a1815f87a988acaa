// An inline session is released once however often it is stopped: a version can be retired
// twice (a load refused after its session was built, then replaced by a later load), and
// onnxruntime-node rejects a second release ("Session already disposed"), which, unhandled,
// ended the pod. A real onnxruntime-node session on a tiny generated model.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../models/onnx-builder.js';
import { BUILTIN_MODEL_DEFAULTS } from '../repository/config.js';
import { InlineSession } from './inline-session.js';

function model(): Uint8Array {
  const g = new GraphBuilder('inline_stop_test');
  const x = g.input('input', ['N', 2]);
  g.op('Relu', [x], {}, 'output');
  g.output('output', ['N', 2]);
  return g.encode('inline session stop test model');
}

describe('InlineSession.stop', () => {
  let root: string;
  let modelPath: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sy-inline-stop-'));
    modelPath = join(root, 'model.onnx');
    await writeFile(modelPath, model());
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('releases the session once; a second stop resolves', async () => {
    // What the runtime does without the guard: the second release rejects.
    const bare = await ort.InferenceSession.create(modelPath);
    await bare.release();
    await expect(bare.release()).rejects.toThrow();

    const s = await InlineSession.create({
      modelPath,
      session: BUILTIN_MODEL_DEFAULTS.session,
      injectDelayMs: 0,
      loaded: { type: 'loaded', provider: 'cpu', inputs: [], outputs: [] } as never,
    });
    const out = await s.run([
      { name: 'input', datatype: 'FP32', shape: [1, 2], data: new Uint8Array(Float32Array.of(-1, 2).buffer) },
    ]);
    expect(Array.from(new Float32Array(out.outputs[0]!.data.slice().buffer))).toEqual([0, 2]);
    await s.stop();
    await expect(s.stop()).resolves.toBeUndefined();
  });
});
