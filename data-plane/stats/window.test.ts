import { describe, expect, it } from 'vitest';
import { percentile, SlidingWindow } from './window.js';

describe('SlidingWindow', () => {
  it('reports count, errors, rate, throughput and percentiles over the window only', () => {
    const w = new SlidingWindow(2000);
    for (let i = 1; i <= 100; i++) w.record(10_000 + i, i, true);
    w.record(10_500, 0, false);
    const s = w.summary(10_900);
    expect(s.requests).toBe(101);
    expect(s.errors).toBe(1);
    expect(s.errorRate).toBeCloseTo(1 / 101);
    expect(s.p50Ms).toBe(50);
    expect(s.p99Ms).toBe(99);
    expect(s.throughputRps).toBe(50);
    // Three seconds later the old samples have left the window.
    expect(w.summary(13_500).requests).toBe(0);
    expect(w.summary(13_500).p99Ms).toBe(0);
  });

  it('keeps memory bounded with a reservoir per second', () => {
    const w = new SlidingWindow(1000, 10, () => 0.999);
    for (let i = 0; i < 1000; i++) w.record(5000, i, true);
    const s = w.summary(5000);
    expect(s.requests).toBe(1000);
    expect(s.p99Ms).toBeLessThan(10);
  });

  it('percentile uses nearest rank', () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(percentile([1, 2, 3, 4], 0.99)).toBe(4);
    expect(percentile([], 0.5)).toBe(0);
  });
});
