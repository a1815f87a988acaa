import { describe, expect, it } from 'vitest';
import { IntervalCounters } from './interval.js';

describe('IntervalCounters', () => {
  it('counts successes into latency buckets, pod failures as errors, and resets on take', () => {
    const c = new IntervalCounters();
    c.finished('m', '1', 'success', 0.5);
    c.finished('m', '1', 'success', 7);
    c.finished('m', '1', 'success', 9000);
    c.finished('m', '1', 'unavailable', 1);
    c.finished('m', '1', 'shed', 0);
    c.finished('m', '1', 'invalid', 0);
    c.finished('m', '1', 'draining', 0);
    c.finished('m', '2', 'success', 3);
    c.mirrored('m', '1', true, 0);
    c.mirrored('m', '1', false, 0.25);
    const f = c.take();
    const one = f.get('m/1')!;
    expect(one.requests).toBe(5);
    expect(one.errors).toBe(2);
    expect(one.latencyBuckets).toEqual([1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect([one.mirrorCompared, one.mirrorAgreed, one.mirrorAbsDiffSum]).toEqual([2, 1, 0.25]);
    expect(f.get('m/2')!.latencyBuckets[2]).toBe(1);
    expect(c.take().size).toBe(0);
  });
});
