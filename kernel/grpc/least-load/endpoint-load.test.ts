import { describe, expect, it } from 'vitest';
import { chooseLeastLoad, EndpointLoad } from './endpoint-load.js';

const TTL = 1000;

function load(own: number, report?: { inflight: number; costMs: number; at?: number }): EndpointLoad {
  const l = new EndpointLoad();
  for (let i = 0; i < own + 1; i++) l.started();
  // One call ends carrying the report (own calls left: `own`).
  l.ended(report && { inflight: report.inflight, costMs: report.costMs }, report?.at ?? 0);
  return l;
}

describe('EndpointLoad (what a channel knows of one endpoint)', () => {
  it("counts its own calls exactly, and the others' from the pod's last report", () => {
    const l = new EndpointLoad();
    l.started();
    l.started();
    l.started();
    // The pod held 5 calls as it answered one of ours: 2 of ours are still there, so 3 are others'.
    l.ended({ inflight: 5, costMs: 20 }, 100);
    expect(l.own).toBe(2);
    expect(l.costMs).toBe(20);
    expect(l.ahead(100, TTL)).toBe(5);
    l.ended(undefined, 150);
    expect(l.ahead(150, TTL)).toBe(4);
  });

  it("forgets the others' calls once the report is older than the TTL, never its own", () => {
    const l = load(1, { inflight: 4, costMs: 20, at: 0 });
    expect(l.ahead(TTL, TTL)).toBe(4);
    expect(l.ahead(TTL + 1, TTL)).toBe(1);
  });

  it('never counts below zero: an end without a start, a report smaller than its own calls', () => {
    const l = new EndpointLoad();
    l.ended(undefined, 0);
    expect(l.own).toBe(0);
    l.started();
    l.started();
    l.ended({ inflight: 0, costMs: 5 }, 0);
    expect(l.ahead(0, TTL)).toBe(1);
  });
});

describe('chooseLeastLoad (the fastest idle endpoint, else where a new call finishes first)', () => {
  const never = () => 0.99;

  it('weighs the calls ahead by each pod’s cost when none is idle: (ahead + 1) x cost', () => {
    // 4 x 20 = 80 ms, 3 x 20 = 60 ms, and a slower pod with one ahead: 2 x 40 = 80 ms.
    const fast3 = load(3, { inflight: 3, costMs: 20 });
    const fast2 = load(2, { inflight: 2, costMs: 20 });
    const slow = load(1, { inflight: 1, costMs: 40 });
    expect(chooseLeastLoad([fast3, fast2, slow], 0, TTL, never)).toBe(1);
    fast2.started();
    fast2.started();
    // Now 100 ms on the second fast pod: the first and the slow one tie at 80 ms.
    const picks = new Set([0, 0.5, 0.99].map((r) => chooseLeastLoad([fast3, fast2, slow], 0, TTL, () => r)));
    expect(picks).toEqual(new Set([0, 2]));
  });

  it('takes an idle slow pod before a busy fast one, and the fastest of several idle ones', () => {
    // Each fast pod has one call ahead (2 x 20 = 40 ms to finish there, 80 ms on the slow pod):
    // finishing first would leave the slow pod idle, so its capacity would go unused.
    const fastA = load(1, { inflight: 1, costMs: 20 });
    const fastB = load(0, { inflight: 1, costMs: 20 });
    const slow = load(0, { inflight: 0, costMs: 80 });
    expect(chooseLeastLoad([fastA, fastB, slow], 0, TTL, never)).toBe(2);
    const idleFast = load(0, { inflight: 0, costMs: 20 });
    expect(chooseLeastLoad([slow, idleFast, fastA], 0, TTL, never)).toBe(1);
    expect(chooseLeastLoad([idleFast, slow], 0, TTL, never)).toBe(0);
  });

  it("counts other clients' calls: a pod another client keeps busy loses to an idle one", () => {
    const busy = load(0, { inflight: 4, costMs: 20 });
    const idle = load(0, { inflight: 0, costMs: 20 });
    expect(chooseLeastLoad([busy, idle], 0, TTL, never)).toBe(1);
    expect(chooseLeastLoad([idle, busy], 0, TTL, never)).toBe(0);
  });

  it('costs an endpoint without a report at the mean of the others, and all at 1 when none has one', () => {
    const fresh = new EndpointLoad();
    fresh.started();
    const a = load(3, { inflight: 3, costMs: 10 });
    const b = load(1, { inflight: 1, costMs: 30 });
    // fresh: 2 x 20 (the mean of 10 and 30); a: 4 x 10 = 40; b: 2 x 30 = 60.
    const picks = new Set([0, 0.5, 0.99].map((r) => chooseLeastLoad([fresh, a, b], 0, TTL, () => r)));
    expect(picks).toEqual(new Set([0, 1]));
    const x = new EndpointLoad();
    const y = new EndpointLoad();
    y.started();
    expect(chooseLeastLoad([y, x], 0, TTL, never)).toBe(1);
  });

  it('spreads ties evenly (reservoir choice)', () => {
    const loads = [new EndpointLoad(), new EndpointLoad(), new EndpointLoad()];
    const counts = [0, 0, 0];
    let seed = 1;
    const random = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    for (let i = 0; i < 3000; i++) counts[chooseLeastLoad(loads, 0, TTL, random)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(850);
  });
});
