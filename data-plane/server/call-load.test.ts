import { describe, expect, it } from 'vitest';
import { CallLoadGauge } from './call-load.js';

describe('CallLoadGauge (the per-call report of a pod)', () => {
  it('reports the calls still held and the busy time per call, without the idle time between', () => {
    let now = 0;
    const g = new CallLoadGauge(() => now);
    // Three calls arrive at once; a one-at-a-time pod finishes one every 20 ms.
    g.begin();
    g.begin();
    g.begin();
    now = 20;
    expect(g.end()).toEqual({ inflight: 2, costMs: 20 });
    now = 40;
    expect(g.end()).toEqual({ inflight: 1, costMs: 20 });
    now = 60;
    expect(g.end()).toEqual({ inflight: 0, costMs: 20 });
    // Idle for a second, then one call of 40 ms: the moving average moves a fifth of the way.
    now = 1060;
    g.begin();
    now = 1100;
    const r = g.end();
    expect(r.inflight).toBe(0);
    expect(r.costMs).toBeCloseTo(24, 9);
  });

  it('a batch that answers several calls at once lowers the cost per call but never to zero', () => {
    let now = 0;
    const g = new CallLoadGauge(() => now);
    for (let i = 0; i < 4; i++) g.begin();
    now = 40;
    expect(g.end().costMs).toBe(40);
    const rest = [g.end(), g.end(), g.end()];
    expect(rest.map((x) => x.inflight)).toEqual([2, 1, 0]);
    expect(rest[2]!.costMs).toBeCloseTo(40 * 0.8 ** 3, 9);
    expect(rest[2]!.costMs).toBeGreaterThan(0);
  });
});
