// The slab allocator hands out views that never overlap and are as long as asked, small ones
// from shared slabs and large ones on buffers of their own.
import { describe, expect, it } from 'vitest';
import { allocate } from './slab.js';

describe('allocate', () => {
  it('gives small views from shared slabs, never overlapping, each as long as asked', () => {
    const views = Array.from({ length: 400 }, (_, i) => allocate(1 + ((i * 37) % 300)));
    views.forEach((v, i) => {
      expect(v).toBeInstanceOf(Uint8Array);
      expect(v.length).toBe(1 + ((i * 37) % 300));
      // Aligned to a word, as Node's pool aligns.
      expect(v.byteOffset % 8).toBe(0);
      v.fill(i % 251);
    });
    // Every view still holds what was written to it: none overlaps another.
    for (const [i, v] of views.entries()) expect(v.every((b) => b === i % 251)).toBe(true);
    // They share slabs: far fewer backing buffers than views.
    expect(new Set(views.map((v) => v.buffer)).size).toBeLessThan(views.length / 10);
  });

  it('gives a large view a buffer of its own', () => {
    const big = allocate(5000);
    expect(big.length).toBe(5000);
    expect(big.byteOffset).toBe(0);
    expect(big.buffer.byteLength).toBe(5000);
  });
});
