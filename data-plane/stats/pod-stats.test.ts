import { describe, expect, it } from 'vitest';
import { PodStats } from './pod-stats.js';

describe('PodStats', () => {
  it('keeps a window per model version and one for the pod', () => {
    let now = 1_000_000;
    const s = new PodStats(10_000, () => now);
    s.finished('a', '1', 'success', 5);
    s.finished('a', '1', 'success', 7);
    s.finished('a', '2', 'error', 0);
    s.finished('b', '1', 'success', 9);
    now += 10;
    expect(s.version('a', '1').requests).toBe(2);
    expect(s.version('a', '2')).toMatchObject({ requests: 1, errors: 1 });
    expect(s.version('b', '1').p50Ms).toBe(9);
    expect(s.pod()).toMatchObject({ requests: 4, errors: 1 });
    expect(s.served).toBe(3);
  });

  it('leaves client mistakes and cancellations out of the windows', () => {
    const s = new PodStats(10_000, () => 5_000);
    s.finished('a', '1', 'invalid', 1);
    s.finished('a', '1', 'not_found', 1);
    s.finished('a', '1', 'cancelled', 1);
    expect(s.version('a', '1').requests).toBe(0);
    expect(s.pod().requests).toBe(0);
    s.finished('a', '1', 'shed', 1);
    expect(s.version('a', '1')).toMatchObject({ requests: 1, errors: 1 });
  });

  it('never mixes versions whose names would join alike, and forgets one version alone', () => {
    const s = new PodStats(10_000, () => 5_000);
    s.finished('a/b', 'c', 'success', 1);
    s.finished('a', 'b/c', 'success', 2);
    s.finished('a', 'd', 'success', 3);
    expect(s.version('a/b', 'c').requests).toBe(1);
    expect(s.version('a', 'b/c').requests).toBe(1);
    s.forget('a', 'b/c');
    expect(s.version('a', 'b/c').requests).toBe(0);
    expect(s.version('a', 'd').requests).toBe(1);
    expect(s.version('a/b', 'c').requests).toBe(1);
  });
});
