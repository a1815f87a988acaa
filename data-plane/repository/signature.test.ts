import { describe, expect, it } from 'vitest';
import { BUILTIN_MODEL_DEFAULTS } from './config.js';
import { resolveSignature, type SessionIO } from './signature.js';

const io = (name: string, shape: (number | string)[], type = 'float32'): SessionIO => ({
  name,
  type,
  shape,
  isTensor: true,
});

describe('resolveSignature', () => {
  it('batches models whose inputs and outputs lead with a symbolic dimension', () => {
    const r = resolveSignature(
      { inputs: [io('x', ['batch', 4])], outputs: [io('y', ['batch', 2])] },
      BUILTIN_MODEL_DEFAULTS,
    );
    expect(r.issues).toEqual([]);
    expect(r.maxBatchSize).toBe(64);
    expect(r.signature.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [-1, 4] }]);
  });

  it('runs models with a fixed leading dimension unbatched, and says why', () => {
    const r = resolveSignature(
      { inputs: [io('x', [2, 3])], outputs: [io('y', [2, 3])] },
      BUILTIN_MODEL_DEFAULTS,
    );
    expect(r.maxBatchSize).toBe(0);
    expect(r.unbatchedReason).toMatch(/x has no variable leading/);
  });

  it('refines symbolic dimensions from config.yaml and rejects contradictions', () => {
    const session = { inputs: [io('x', ['n', 3, 'h', 'w'])], outputs: [io('y', ['n', 2])] };
    const ok = resolveSignature(session, {
      ...BUILTIN_MODEL_DEFAULTS,
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3, 48, 192] }],
    });
    expect(ok.signature.inputs[0]!.shape).toEqual([-1, 3, 48, 192]);
    const bad = resolveSignature(session, {
      ...BUILTIN_MODEL_DEFAULTS,
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [-1, 4, 48, 192] },
        { name: 'z', datatype: 'FP32', shape: [1] },
      ],
    });
    expect(bad.issues.map((i) => i.path)).toEqual(['config.inputs[0].shape[1]', 'config.inputs[1].name']);
  });

  it('refuses string tensors and non-tensor values', () => {
    const r = resolveSignature(
      { inputs: [io('s', ['n'], 'string'), { name: 'm', type: 'unknown', isTensor: false }], outputs: [] },
      BUILTIN_MODEL_DEFAULTS,
    );
    expect(r.issues).toHaveLength(2);
  });
});
