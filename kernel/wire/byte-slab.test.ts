import { describe, expect, it } from 'vitest';
import { allocBytes, copyBytes } from './byte-slab.js';

describe('byte slab', () => {
  it('gives zero-filled arrays of the asked length that never overlap', () => {
    const seen: Uint8Array[] = [];
    for (let i = 0; i < 500; i++) {
      const n = (i * 37) % 1100;
      const a = allocBytes(n);
      expect(a.length).toBe(n);
      expect(a.every((b) => b === 0)).toBe(true);
      a.fill(i % 251);
      seen.push(a);
    }
    // Writing each one did not touch any other: every array still holds only its own byte.
    seen.forEach((a, i) => {
      expect(a.every((b) => b === i % 251)).toBe(true);
      expect(a.byteOffset % 8).toBe(0);
    });
  });

  it('allocates large arrays on their own', () => {
    const big = allocBytes(5000);
    expect(big.byteOffset).toBe(0);
    expect(big.buffer.byteLength).toBe(5000);
  });

  it('copies a range', () => {
    const src = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    const c = copyBytes(src, 1, 4);
    expect([...c]).toEqual([2, 3, 4]);
    src[2] = 99;
    expect([...c]).toEqual([2, 3, 4]);
  });
});
