import { describe, expect, it } from 'vitest';
import { LATENCY_BUCKET_BOUNDS_MS } from '../../kernel/contract/latency-buckets.js';
import type { RolloutAnalysis } from '../policy/rollout.js';
import { analyze } from './analysis.js';
import { p99FromBuckets, type VersionFigures } from './figures.js';

const A: RolloutAnalysis = {
  minRequests: 100,
  errorRate: { max: 0.01, vsStable: 2 },
  latencyP99: { maxMs: 80, vsStable: 1.3 },
  agreement: { min: 0.99 },
  failureLimit: 2,
  inconclusiveLimit: 5,
  interval: '1s',
};

/** `requests` requests, all successful ones in the bucket whose upper bound is `ms`. */
function figs(
  requests: number,
  errors: number,
  ms: number,
  extra: Partial<VersionFigures> = {},
): VersionFigures {
  const buckets = new Array<number>(LATENCY_BUCKET_BOUNDS_MS.length + 1).fill(0);
  const i = LATENCY_BUCKET_BOUNDS_MS.indexOf(ms);
  buckets[i === -1 ? LATENCY_BUCKET_BOUNDS_MS.length : i] = requests - errors;
  return { requests, errors, latencyBuckets: buckets, ...extra };
}

describe('p99FromBuckets', () => {
  it('interpolates inside the bucket and is Infinity in the overflow bucket', () => {
    expect(p99FromBuckets([])).toBeUndefined();
    // 100 requests in (5, 10]: rank 99 of 100 -> 5 + 5 * 0.99.
    expect(p99FromBuckets([0, 0, 0, 100])).toBeCloseTo(9.95, 5);
    // 98 fast, 2 in (50, 100]: the 99th lies in the slow bucket, halfway.
    expect(p99FromBuckets([98, 0, 0, 0, 0, 0, 2])).toBeCloseTo(75, 5);
    const overflow = new Array<number>(LATENCY_BUCKET_BOUNDS_MS.length + 1).fill(0);
    overflow[LATENCY_BUCKET_BOUNDS_MS.length] = 10;
    expect(p99FromBuckets(overflow)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('analyze', () => {
  it('passes a candidate as good as stable, with every figure recorded', () => {
    const v = analyze(A, 'weight', figs(200, 0, 10), figs(2000, 2, 10));
    expect(v.outcome).toBe('pass');
    expect(v.gates.map((g) => [g.gate, g.outcome])).toEqual([
      ['traffic', 'pass'],
      ['errorRate', 'pass'],
      ['latencyP99', 'pass'],
    ]);
    const err = v.gates.find((g) => g.gate === 'errorRate');
    expect(err?.candidate).toBe(0);
    expect(err?.stable).toBeCloseTo(0.001, 6);
    // min(1 %, 2 x 0.1 % + 1/200)
    expect(err?.threshold).toBeCloseTo(0.007, 6);
  });

  it('is inconclusive below minRequests, never a pass, however good the figures', () => {
    const v = analyze(A, 'weight', figs(99, 0, 1), figs(5000, 0, 10));
    expect(v.outcome).toBe('inconclusive');
    expect(v.gates[0]).toMatchObject({
      gate: 'traffic',
      outcome: 'inconclusive',
      candidate: 99,
      threshold: 100,
    });
  });

  it('fails before minRequests once the errors alone exceed max at minRequests', () => {
    const v = analyze(A, 'weight', figs(10, 2, 10), figs(5000, 0, 10));
    expect(v.outcome).toBe('fail');
    expect(v.gates.find((g) => g.gate === 'errorRate')?.outcome).toBe('fail');
    expect(analyze(A, 'weight', figs(10, 1, 10), figs(5000, 0, 10)).outcome).toBe('inconclusive');
  });

  it('fails a candidate too slow to reach minRequests once the slow requests alone decide the p99', () => {
    // 3 requests over 100 ms: more than the 1 % of minRequests 100 a p99 may hide.
    const slow = figs(10, 0, 10);
    const buckets = [...slow.latencyBuckets];
    buckets[LATENCY_BUCKET_BOUNDS_MS.indexOf(200)] = 3;
    const v = analyze(A, 'weight', { ...slow, latencyBuckets: buckets }, figs(500, 0, 10));
    expect(v.outcome).toBe('fail');
    expect(v.gates.find((g) => g.gate === 'latencyP99')?.detail).toMatch(
      /^3 of 10 requests already slower than 13\.9 ms/,
    );
    // One slow request is within the 1 % of 100 a p99 may hide: wait.
    buckets[LATENCY_BUCKET_BOUNDS_MS.indexOf(200)] = 1;
    expect(analyze(A, 'weight', { ...slow, latencyBuckets: buckets }, figs(500, 0, 10)).outcome).toBe(
      'inconclusive',
    );
    // From window summaries: a p99 over the bound means at least one slow request.
    const a20 = { ...A, minRequests: 20 };
    const w = { requests: 7, errors: 0, latencyBuckets: [], p99Ms: 800 };
    expect(
      analyze(a20, 'weight', w, { requests: 300, errors: 0, latencyBuckets: [], p99Ms: 9 }).outcome,
    ).toBe('fail');
  });

  it('fails on errors relative to stable even under the absolute max', () => {
    const a: RolloutAnalysis = { ...A, errorRate: { max: 0.5, vsStable: 2 } };
    // stable 1 %, candidate 5 %: over 2 x 1 % + 1/1000.
    expect(analyze(a, 'weight', figs(1000, 50, 10), figs(1000, 10, 10)).outcome).toBe('fail');
    expect(analyze(a, 'weight', figs(1000, 20, 10), figs(1000, 10, 10)).outcome).toBe('pass');
  });

  it('fails a slow candidate against stable, and against the absolute bound', () => {
    const slow = analyze(A, 'weight', figs(500, 0, 50), figs(500, 0, 20));
    expect(slow.outcome).toBe('fail');
    const lat = slow.gates.find((g) => g.gate === 'latencyP99');
    expect(lat?.candidate).toBeCloseTo(49.7, 1);
    expect(lat?.threshold).toBeCloseTo(1.3 * 19.9 + 1, 1);
    expect(analyze(A, 'weight', figs(500, 0, 100), figs(500, 0, 100)).outcome).toBe('fail');
  });

  it('uses a window p99 when the pods report no buckets', () => {
    const c: VersionFigures = { requests: 300, errors: 0, latencyBuckets: [], p99Ms: 40 };
    const s: VersionFigures = { requests: 3000, errors: 0, latencyBuckets: [], p99Ms: 10 };
    const v = analyze(A, 'weight', c, s);
    expect(v.gates.find((g) => g.gate === 'latencyP99')).toMatchObject({
      outcome: 'fail',
      candidate: 40,
      stable: 10,
      threshold: 14,
    });
  });

  // The stable version's pods send the copies and compare the answers, so the comparisons come
  // with the stable version's figures; the candidate's own figures count the copies it served.
  it('judges agreement on mirror steps only, from the comparisons the stable pods report', () => {
    const c = figs(300, 0, 10);
    const s = figs(300, 0, 10, { mirrorCompared: 300, mirrorAgreed: 250 });
    const failed = analyze(A, 'mirror', c, s);
    expect(failed.outcome).toBe('fail');
    expect(failed.gates.find((g) => g.gate === 'agreement')).toMatchObject({
      outcome: 'fail',
      candidate: 250 / 300,
    });
    expect(analyze(A, 'weight', c, s).outcome).toBe('pass');
    const agreeing = figs(300, 0, 10, { mirrorCompared: 300, mirrorAgreed: 300 });
    expect(analyze(A, 'mirror', c, agreeing).outcome).toBe('pass');
    // Comparisons on the candidate's side are not what the gate reads.
    expect(analyze(A, 'mirror', agreeing, figs(300, 0, 10)).outcome).toBe('inconclusive');
    const few = figs(300, 0, 10, { mirrorCompared: 3, mirrorAgreed: 3 });
    expect(analyze(A, 'mirror', c, few).outcome).toBe('inconclusive');
  });
});
