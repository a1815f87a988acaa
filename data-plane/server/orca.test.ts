import { describe, expect, it } from 'vitest';
import { LoadWindow } from './orca.js';

describe('LoadWindow (the figures of a pod ORCA report)', () => {
  it('reports requests and errors per second and mean latency in seconds over the last second', () => {
    let now = 10_000;
    const w = new LoadWindow(() => now);
    for (let i = 0; i < 8; i++) {
      w.record(20, true);
      now += 100;
    }
    w.record(100, false);
    w.record(100, false);
    const r = w.report();
    expect(r.rps).toBe(10);
    expect(r.eps).toBe(2);
    // Mean of eight 20 ms and two 100 ms: 36 ms. The oldest of the ten buckets still counts.
    expect(r.latency).toBeCloseTo(0.036, 6);
  });

  it('forgets what is older than a second, and reports zero with nothing in the window', () => {
    let now = 0;
    const w = new LoadWindow(() => now);
    w.record(80, true);
    now = 500;
    w.record(20, true);
    expect(w.report().latency).toBeCloseTo(0.05, 6);
    now = 1050;
    expect(w.report()).toEqual({ rps: 1, eps: 0, latency: 0.02 });
    now = 60_000;
    expect(w.report()).toEqual({ rps: 0, eps: 0, latency: 0 });
  });
});
