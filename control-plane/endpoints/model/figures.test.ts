// Interval figures summed across pods: the latest interval, the running total, and readings
// subtracted, with a fake clock and hand-made heartbeats.
import { describe, expect, it } from 'vitest';
import { summarize, totalsBetween } from './figures.js';
import type { HeartbeatInfo, IntervalCounts, PodInfo } from './signals.js';
import { EndpointTableState } from './table.js';
import { utilization } from './utilization.js';

function pod(id: string, port: number): PodInfo {
  return {
    podId: id,
    address: '127.0.0.1',
    port,
    region: 'r',
    zone: 'z',
    revision: 1n,
    startedAtMs: 1n,
    sequence: 1n,
    intervalMs: 1000,
    draining: false,
    tls: false,
    versions: new Map([['m/2', { model: 'm', version: '2', backend: 'cpu' }]]),
  };
}

function counts(
  requests: number,
  errors: number,
  fast: number,
  slow: number,
  mirror = [0, 0, 0],
): IntervalCounts {
  const latencyBuckets = new Array<number>(13).fill(0);
  latencyBuckets[2] = fast; // <= 5 ms
  latencyBuckets[7] = slow; // <= 200 ms
  const [mirrorCompared, mirrorAgreed, mirrorAbsDiffSum] = mirror as [number, number, number];
  return { requests, errors, latencyBuckets, mirrorCompared, mirrorAgreed, mirrorAbsDiffSum };
}

function hb(id: string, seq: number, interval: IntervalCounts): HeartbeatInfo {
  return {
    podId: id,
    sequence: BigInt(seq),
    revision: 1n,
    draining: false,
    intervalMs: 1000,
    cpu: utilization(0.1),
    loads: new Map([
      ['m/2', { queueDepth: 0, inFlight: 0, p50Ms: 1, p99Ms: 2, errorRate: 0, requests: 0, interval }],
    ]),
  };
}

describe('version figures', () => {
  it('sums the latest interval across pods and keeps an exact running total', () => {
    const t = new EndpointTableState();
    t.register(pod('a', 1), 0);
    t.register(pod('b', 2), 0);
    expect(t.versionFigures('m', '2')).toMatchObject({
      pods: 0,
      last: { requests: 0 },
      total: { requests: 0 },
    });

    t.heartbeat(hb('a', 2, counts(10, 1, 9, 0)), 1000);
    t.heartbeat(hb('b', 2, counts(20, 0, 19, 1, [4, 3, 0.2])), 1000);
    const first = t.versionFigures('m', '2');
    expect(first.pods).toBe(2);
    expect(first.last).toMatchObject({ requests: 30, errors: 1, mirrorCompared: 4, mirrorAgreed: 3 });
    expect(first.last.latencyBuckets[2]).toBe(28);

    t.heartbeat(hb('a', 3, counts(5, 5, 0, 0)), 2000);
    // A repeated sequence is stale: it must not be counted twice.
    t.heartbeat(hb('a', 3, counts(5, 5, 0, 0)), 2000);
    const second = t.versionFigures('m', '2');
    expect(second.last.requests).toBe(25);
    expect(second.total).toMatchObject({ requests: 35, errors: 6 });

    const between = totalsBetween(second.total, first.total);
    expect(between).toMatchObject({ requests: 5, errors: 5, mirrorCompared: 0 });
    // The readings are copies: later heartbeats do not change what a consumer kept.
    expect(first.total.requests).toBe(30);
  });

  it('summarizes error rate, latency quantiles and agreement', () => {
    const s = summarize({ ...counts(100, 2, 97, 1, [10, 9, 0.5]) });
    expect(s.errorRate).toBeCloseTo(0.02);
    expect(s.p50Ms).toBe(5);
    expect(s.p99Ms).toBe(200);
    expect(s.agreement).toBeCloseTo(0.9);
    expect(s.meanAbsDiff).toBeCloseTo(0.05);
    expect(summarize(counts(0, 0, 0, 0)).agreement).toBeUndefined();
  });
});
