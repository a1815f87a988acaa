import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { describe, expect, it } from 'vitest';
import { varintLength, writeVarint } from './varint.js';

const VALUES = [
  0,
  1,
  127,
  128,
  16_383,
  16_384,
  2 ** 21,
  2 ** 28 - 1,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  2 ** 35 + 5,
  2 ** 53 - 1,
];

describe('varint', () => {
  it('writes what protobuf-es writes, and says how long it is, on both sides of every byte boundary', () => {
    for (const n of VALUES) {
      const want = new BinaryWriter().uint64(n).finish();
      const out = new Uint8Array(12);
      const end = writeVarint(out, 1, n);
      expect([...out.subarray(1, end)], String(n)).toEqual([...want]);
      expect(varintLength(n), String(n)).toBe(want.length);
    }
  });
});
