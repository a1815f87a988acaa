import { describe, expect, it } from 'vitest';
import type { Tensor } from '../tensors/tensor.js';
import { compareOutputs } from './compare.js';

const f32 = (name: string, shape: number[], values: number[]): Tensor => ({
  name,
  datatype: 'FP32',
  shape,
  data: new Uint8Array(new Float32Array(values).buffer),
});

describe('compareOutputs', () => {
  it('classification: agrees when every row has the same top-1 class', () => {
    const stable = [f32('p', [2, 3], [0.1, 0.7, 0.2, 0.5, 0.25, 0.25])];
    const same = [f32('p', [2, 3], [0.2, 0.6, 0.2, 0.4, 0.3, 0.3])];
    const other = [f32('p', [2, 3], [0.2, 0.6, 0.2, 0.2, 0.3, 0.5])];
    const a = compareOutputs(stable, same, 0);
    expect(a).toMatchObject({ agreed: true, kind: 'classification' });
    expect(a.absDiff).toBeCloseTo(0.4 / 6, 6);
    expect(compareOutputs(stable, other, 1)).toMatchObject({ agreed: false, kind: 'classification' });
  });

  it('regression: agrees when the mean absolute difference is within the tolerance', () => {
    const stable = [f32('y', [2, 1], [1, 2])];
    const near = [f32('y', [2, 1], [1.25, 2])];
    expect(compareOutputs(stable, near, 0.125)).toMatchObject({
      agreed: true,
      absDiff: 0.125,
      kind: 'regression',
    });
    expect(compareOutputs(stable, near, 0.1)).toMatchObject({ agreed: false, absDiff: 0.125 });
  });

  it('never agrees on answers of another shape or type, and adds nothing to the difference', () => {
    const stable = [f32('y', [2, 1], [1, 2])];
    expect(compareOutputs(stable, [f32('y', [1, 2], [1, 2])], 1)).toEqual({
      agreed: false,
      absDiff: 0,
      kind: 'mismatch',
    });
    expect(compareOutputs(stable, [], 1).kind).toBe('mismatch');
    const nan = [f32('y', [2, 1], [Number.NaN, 2])];
    expect(compareOutputs(stable, nan, 1).kind).toBe('mismatch');
  });
});
