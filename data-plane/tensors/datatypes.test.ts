// The datatype table is the contract with ONNX Runtime and with every client's raw bytes: each
// name, size and typed view is checked one by one, so a typo in one entry cannot pass.
import { describe, expect, it } from 'vitest';
import { InternalError } from '../../kernel/errors/index.js';
import {
  bytesOf,
  copyBytes,
  elementCount,
  elementSize,
  fromOrtType,
  isDatatype,
  isFixedSize,
  KSERVE_DATATYPES,
  toOrtType,
  typedView,
} from './datatypes.js';

const TABLE = [
  ['BOOL', 'bool', 1, Uint8Array],
  ['UINT8', 'uint8', 1, Uint8Array],
  ['UINT16', 'uint16', 2, Uint16Array],
  ['UINT32', 'uint32', 4, Uint32Array],
  ['UINT64', 'uint64', 8, BigUint64Array],
  ['INT8', 'int8', 1, Int8Array],
  ['INT16', 'int16', 2, Int16Array],
  ['INT32', 'int32', 4, Int32Array],
  ['INT64', 'int64', 8, BigInt64Array],
  ['FP16', 'float16', 2, Uint16Array],
  ['FP32', 'float32', 4, Float32Array],
  ['FP64', 'float64', 8, Float64Array],
] as const;

describe('datatypes', () => {
  it('lists the KServe v2 datatypes and maps each to its ONNX Runtime name and back', () => {
    expect([...KSERVE_DATATYPES]).toEqual([...TABLE.map(([d]) => d), 'BYTES']);
    for (const [d, ort, size] of TABLE) {
      expect(isDatatype(d)).toBe(true);
      expect(toOrtType(d)).toBe(ort);
      expect(fromOrtType(ort)).toBe(d);
      expect(elementSize(d), d).toBe(size);
      expect(isFixedSize(d), d).toBe(true);
    }
    expect(toOrtType('BYTES')).toBe('string');
    expect(fromOrtType('string')).toBe('BYTES');
    expect(elementSize('BYTES')).toBe(0);
    expect(isFixedSize('BYTES')).toBe(false);
    expect(isDatatype('FLOAT')).toBe(false);
    expect(isDatatype('fp32')).toBe(false);
    expect(fromOrtType('bfloat16')).toBeUndefined();
  });

  it('counts elements as the product of the dimensions, 1 for a scalar', () => {
    expect(elementCount([2, 3, 4])).toBe(24);
    expect(elementCount([])).toBe(1);
    expect(elementCount([5, 0])).toBe(0);
  });

  it('views raw bytes as the element type, without copying when aligned', () => {
    const buf = new ArrayBuffer(16);
    for (const [d, , size, View] of TABLE) {
      const bytes = new Uint8Array(buf, 8, 8);
      const view = typedView(d, bytes);
      expect(view, d).toBeInstanceOf(View);
      expect(view.length, d).toBe(8 / size);
      expect(view.buffer, d).toBe(buf);
      expect(view.byteOffset, d).toBe(8);
    }
    const f = new Float32Array([1.5, -2]);
    expect(Array.from(typedView('FP32', bytesOf(f)) as Float32Array)).toEqual([1.5, -2]);
    expect(() => typedView('BYTES', new Uint8Array(4))).toThrow(InternalError);
    expect(() => typedView('BYTES', new Uint8Array(4))).toThrow('BYTES has no typed view');
  });

  it('copies only bytes that are not aligned for their element size', () => {
    const buf = new ArrayBuffer(12);
    new Uint8Array(buf).set([0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0]);
    const odd = new Uint8Array(buf, 1, 8);
    const ints = typedView('INT32', odd);
    expect(ints.buffer).not.toBe(buf);
    expect(Array.from(ints as Int32Array)).toEqual([1, 2]);
    // A one-byte type is never misaligned.
    expect(typedView('INT8', odd).buffer).toBe(buf);
    expect(typedView('INT16', new Uint8Array(buf, 2, 4)).buffer).toBe(buf);
    expect(typedView('INT16', new Uint8Array(buf, 1, 4)).buffer).not.toBe(buf);
  });

  it('copyBytes gives a buffer of its own; bytesOf shares the original', () => {
    const src = new Uint16Array([1, 2, 3]);
    const part = new Uint16Array(src.buffer, 2, 2);
    const copy = copyBytes(part);
    expect(Array.from(copy)).toEqual([2, 0, 3, 0]);
    expect(copy.buffer).not.toBe(src.buffer);
    expect(copy.byteOffset).toBe(0);
    expect(copy.buffer.byteLength).toBe(4);
    const view = bytesOf(part);
    expect(view.buffer).toBe(src.buffer);
    expect([view.byteOffset, view.byteLength]).toEqual([2, 4]);
    src[1] = 9;
    expect(view[0]).toBe(9);
    expect(copy[0]).toBe(2);
  });
});
