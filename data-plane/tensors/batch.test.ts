import { describe, expect, it } from 'vitest';
import { InferenceFailedError } from '../errors.js';
import { concatRows, splitRows } from './batch.js';
import type { Tensor } from './tensor.js';

const t = (name: string, rows: number, fill: number[]): Tensor => ({
  name,
  datatype: 'INT32',
  shape: [rows, fill.length / rows],
  data: new Uint8Array(new Int32Array(fill).buffer),
});
const ints = (x: Tensor) => Array.from(new Int32Array(x.data.slice().buffer));

describe('concatRows / splitRows', () => {
  it('merges along dimension 0 and splits back by each caller’s rows', () => {
    const merged = concatRows([[t('a', 1, [1, 2])], [t('a', 2, [3, 4, 5, 6])]]);
    expect(merged[0]!.shape).toEqual([3, 2]);
    expect(ints(merged[0]!)).toEqual([1, 2, 3, 4, 5, 6]);
    const parts = splitRows(merged, [1, 2]);
    expect(ints(parts[0]![0]!)).toEqual([1, 2]);
    expect(parts[1]![0]!.shape).toEqual([2, 2]);
    expect(ints(parts[1]![0]!)).toEqual([3, 4, 5, 6]);
  });

  it('refuses to split an output without the batch dimension', () => {
    expect(() => splitRows([t('y', 1, [1, 2])], [1, 1])).toThrow(InferenceFailedError);
  });
});
