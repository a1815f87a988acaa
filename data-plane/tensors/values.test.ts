// Element values to raw bytes and back, for every kind of datatype, and each refusal with the
// path of the element at fault.
import { describe, expect, it } from 'vitest';
import { bytesFromValues, flatten, valuesFromBytes } from './values.js';

const bytes = (r: ReturnType<typeof bytesFromValues>) => ('bytes' in r ? r.bytes : undefined);
const issue = (r: ReturnType<typeof bytesFromValues>) => ('issue' in r ? r.issue : undefined);

describe('bytesFromValues / valuesFromBytes', () => {
  it('round-trips floats, integers, 64-bit integers and booleans', () => {
    const f = bytes(bytesFromValues('FP32', [1.5, -2], 'd'))!;
    expect(f.byteLength).toBe(8);
    expect(valuesFromBytes('FP32', f)).toEqual([1.5, -2]);
    expect(valuesFromBytes('FP64', bytes(bytesFromValues('FP64', [0.1], 'd'))!)).toEqual([0.1]);
    expect(valuesFromBytes('INT32', bytes(bytesFromValues('INT32', [-7, 3n], 'd'))!)).toEqual([-7, 3]);
    const big = bytes(bytesFromValues('INT64', [5, -(2n ** 40n)], 'd'))!;
    expect(big.byteLength).toBe(16);
    expect(valuesFromBytes('INT64', big)).toEqual([5n, -(2n ** 40n)]);
    expect(valuesFromBytes('UINT64', bytes(bytesFromValues('UINT64', [2n ** 63n], 'd'))!)).toEqual([
      2n ** 63n,
    ]);
    const b = bytes(bytesFromValues('BOOL', [true, false, 1, 0], 'd'))!;
    expect(Array.from(b)).toEqual([1, 0, 1, 0]);
    expect(valuesFromBytes('BOOL', new Uint8Array([0, 2, 1]))).toEqual([false, true, true]);
  });

  it('names the element that does not fit, and refuses what cannot be written as values', () => {
    expect(issue(bytesFromValues('BOOL', [true, 2], 'inputs[0].data'))).toEqual({
      path: 'inputs[0].data[1]',
      message: 'BOOL data must be true/false',
    });
    expect(issue(bytesFromValues('BOOL', ['true'], 'p'))).toEqual({
      path: 'p[0]',
      message: 'BOOL data must be true/false',
    });
    expect(issue(bytesFromValues('INT32', [1, 2.5], 'p'))).toEqual({
      path: 'p[1]',
      message: 'INT32 data must be integers',
    });
    expect(issue(bytesFromValues('INT64', [1.5], 'p'))).toEqual({
      path: 'p[0]',
      message: 'INT64 data must be integers',
    });
    expect(issue(bytesFromValues('FP32', [1, '2'], 'p'))).toEqual({
      path: 'p[1]',
      message: 'FP32 data must be numbers',
    });
    expect(issue(bytesFromValues('FP16', [1], 'p'))).toEqual({
      path: 'p',
      message: 'FP16 data must be sent as raw bytes',
    });
    expect(issue(bytesFromValues('BYTES', ['a'], 'p'))).toEqual({
      path: 'p',
      message: 'BYTES tensors are not served',
    });
    // Fractions are fine for floats.
    expect(bytes(bytesFromValues('FP64', [2.5], 'p'))).toBeDefined();
  });

  it('an empty list gives no bytes', () => {
    expect(bytes(bytesFromValues('FP32', [], 'p'))!.byteLength).toBe(0);
  });
});

describe('flatten', () => {
  it('flattens nested arrays row-major and leaves flat ones and scalars alone', () => {
    expect(
      flatten([
        [1, [2, 3]],
        [4, 5],
      ]),
    ).toEqual([1, 2, 3, 4, 5]);
    const flat = [1, 2];
    expect(flatten(flat)).toBe(flat);
    expect(flatten(7)).toEqual([7]);
    expect(flatten([[], [1]])).toEqual([1]);
    // Partly nested is still nested.
    expect(flatten([[1, 2], 3])).toEqual([1, 2, 3]);
  });
});
