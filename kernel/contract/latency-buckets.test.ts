import { describe, expect, it } from 'vitest';
import { histogramQuantileMs, LATENCY_BUCKET_COUNT, latencyBucketOf } from './latency-buckets.js';

describe('latency buckets', () => {
  it('puts a latency in the first bucket whose inclusive upper bound holds it', () => {
    expect(LATENCY_BUCKET_COUNT).toBe(13);
    expect(latencyBucketOf(0)).toBe(0);
    expect(latencyBucketOf(1)).toBe(0);
    expect(latencyBucketOf(1.01)).toBe(1);
    expect(latencyBucketOf(50)).toBe(5);
    expect(latencyBucketOf(5000)).toBe(11);
    expect(latencyBucketOf(5000.5)).toBe(12);
  });

  it('estimates a quantile as the upper bound of its bucket', () => {
    const counts = new Array(LATENCY_BUCKET_COUNT).fill(0);
    counts[2] = 98; // <= 5 ms
    counts[6] = 2; // <= 100 ms
    expect(histogramQuantileMs(counts, 0.5)).toBe(5);
    expect(histogramQuantileMs(counts, 0.98)).toBe(5);
    expect(histogramQuantileMs(counts, 0.99)).toBe(100);
    counts[12] = 10;
    expect(histogramQuantileMs(counts, 0.99)).toBe(Number.POSITIVE_INFINITY);
    expect(histogramQuantileMs(new Array(LATENCY_BUCKET_COUNT).fill(0), 0.99)).toBe(0);
  });
});
