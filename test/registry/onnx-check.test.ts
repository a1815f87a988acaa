// The push's ONNX Runtime check on a worker started before the model is known (as a push starts
// it when its upload begins): it reads the same signature as a check started afterwards, a file
// ORT refuses is still refused with the reason, and a worker never given a model is stopped.
import { describe, expect, it } from 'vitest';
import { inspectOnnx, OnnxChecker } from '../../control-plane/registry/onnx-inspect.js';
import { modelFile } from './helpers.js';

describe('ONNX check on a worker started ahead', () => {
  it('reads the signature a fresh check reads, from the split form', async () => {
    const bytes = modelFile('mlp');
    const ready = new OnnxChecker();
    const ahead = await inspectOnnx(bytes, 'mlp:1', ready);
    expect(ahead.inputs.length).toBeGreaterThan(0);
    expect(ahead).toEqual(await inspectOnnx(bytes, 'mlp:1'));
    // One model per checker: the worker has answered and gone.
    expect(() => ready.check({ bytes })).toThrow('an OnnxChecker checks one model');
  }, 60_000);

  it('refuses a file ONNX Runtime cannot load, with the reason', async () => {
    const corrupt = modelFile('convnet').slice(0, 200);
    await expect(inspectOnnx(corrupt, 'broken:1: model file', new OnnxChecker())).rejects.toMatchObject({
      code: 'SY_ARTIFACT_INVALID',
      message: expect.stringContaining('broken:1: model file: ONNX Runtime cannot load it'),
    });
  }, 60_000);

  it('stops a worker that was never given a model', async () => {
    const unused = new OnnxChecker();
    unused.close();
    await expect(unused.check({ bytes: modelFile('affine') })).resolves.toMatchObject({
      ok: false,
      error: expect.stringMatching(/^the ONNX check stopped \(exit \d+\)$/),
    });
  }, 60_000);
});
