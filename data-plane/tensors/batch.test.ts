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
  it('merges every input of every request in order, keeping the trailing shape', () => {
    const f = (rows: number, vals: number[]): Tensor => ({
      ...t('f', rows, vals),
      shape: [rows, 1, vals.length / rows],
    });
    const merged = concatRows([
      [t('a', 1, [1]), f(1, [7, 8])],
      [t('a', 1, [2]), f(1, [9, 10])],
      [t('a', 2, [3, 4]), f(2, [11, 12, 13, 14])],
    ]);
    expect(merged.map((m) => [m.name, m.datatype, m.shape])).toEqual([
      ['a', 'INT32', [4, 1]],
      ['f', 'INT32', [4, 1, 2]],
    ]);
    expect(ints(merged[0]!)).toEqual([1, 2, 3, 4]);
    expect(ints(merged[1]!)).toEqual([7, 8, 9, 10, 11, 12, 13, 14]);
    expect(concatRows([])).toEqual([]);
  });

  it('splits into views of the batch output, one per caller, every output in turn', () => {
    const y = t('y', 3, [1, 2, 3, 4, 5, 6]);
    const z = t('z', 3, [7, 8, 9]);
    const parts = splitRows([y, z], [2, 1]);
    expect(parts.map((p) => p.map((x) => [x.name, x.shape, ints(x)]))).toEqual([
      [
        ['y', [2, 2], [1, 2, 3, 4]],
        ['z', [2, 1], [7, 8]],
      ],
      [
        ['y', [1, 2], [5, 6]],
        ['z', [1, 1], [9]],
      ],
    ]);
    expect(parts[1]![0]!.data.buffer).toBe(y.data.buffer);
    expect(parts[1]![0]!.datatype).toBe('INT32');
    // No rows at all: nothing to divide, every caller gets an empty slice.
    const none = splitRows([{ ...y, shape: [0, 2], data: new Uint8Array(0) }], [0]);
    expect(none[0]![0]!.shape).toEqual([0, 2]);
    expect(none[0]![0]!.data.byteLength).toBe(0);
  });

  it('names the output and the row counts when an output cannot be split', () => {
    expect(() => splitRows([t('y', 1, [1, 2])], [1, 1])).toThrow(
      'output y has shape [1, 2], not 2 rows: it cannot be split per request',
    );
  });
});
