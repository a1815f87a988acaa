import { describe, expect, it } from 'vitest';
import { HeartbeatFigures } from './heartbeat-figures.js';

describe('HeartbeatFigures', () => {
  it('sums interval counters of every pod since the last take, then starts over', () => {
    const h = new HeartbeatFigures();
    const load = (req: number, err: number, buckets: number[]) => ({
      model: 'fraud',
      version: 'v2',
      intervalRequests: BigInt(req),
      intervalErrors: BigInt(err),
      latencyBucketCounts: buckets.map(BigInt),
    });
    h.record('a', [load(10, 1, [9])]);
    h.record('a', [load(5, 0, [4, 1])]);
    h.record('b', [load(20, 2, [18])]);
    expect(h.take('fraud', 'v2')).toEqual({ requests: 35, errors: 3, latencyBuckets: [31, 1] });
    expect(h.take('fraud', 'v2')).toEqual({ requests: 0, errors: 0, latencyBuckets: [] });
    expect(h.take('fraud', 'v1')).toEqual({ requests: 0, errors: 0, latencyBuckets: [] });
  });

  it('falls back to the latest window summary per pod, with the worst p99', () => {
    const h = new HeartbeatFigures();
    const w = (requests: number, errors: number, p99Ms: number) => [
      {
        model: 'fraud',
        version: 'v1',
        window: { requests: BigInt(requests), errors: BigInt(errors), p99Ms },
      },
    ];
    h.record('a', w(100, 1, 5));
    h.record('a', w(120, 1, 7));
    h.record('b', w(80, 0, 12));
    expect(h.take('fraud', 'v1')).toEqual({ requests: 200, errors: 1, latencyBuckets: [], p99Ms: 12 });
    // A window is a state, not an increment: it stands until replaced.
    expect(h.take('fraud', 'v1').requests).toBe(200);
    h.forget('b');
    expect(h.take('fraud', 'v1')).toEqual({ requests: 120, errors: 1, latencyBuckets: [], p99Ms: 7 });
  });
});
