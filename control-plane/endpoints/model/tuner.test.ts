import { describe, expect, it } from 'vitest';
import { DEFAULT_OVERFLOW, NO_OVERFLOW, nextOverflow, validateOverflow } from './overflow.js';
import {
  DEFAULT_TUNER,
  headroomFactors,
  type LoadSignals,
  nextWeight,
  peerReference,
  targetWeight,
  tuneStep,
} from './tuner.js';
import { utilizationFromPercent as pct, utilization as u } from './utilization.js';

const P = DEFAULT_TUNER;
const idle: LoadSignals = {
  utilization: u(0.1),
  queueDepth: 0,
  p50Ms: 5,
  p99Ms: 10,
  errorRate: 0,
  requests: 100,
};
/** A 10 ms p99 objective, as a policy's latencyObjective gives it. */
const O = { p99: 10 };

describe('tuner formula', () => {
  it('gives full headroom to an idle, fast, error-free endpoint', () => {
    expect(headroomFactors(idle, O, P)).toEqual({ utilization: 1, queue: 1, latency: 1, error: 1 });
  });

  it('charges utilization only above the knee, linearly to the floor', () => {
    expect(headroomFactors({ ...idle, utilization: u(0.6) }, O, P).utilization).toBe(1);
    expect(headroomFactors({ ...idle, utilization: u(0.8) }, O, P).utilization).toBeCloseTo(0.5, 10);
    expect(headroomFactors({ ...idle, utilization: u(1) }, O, P).utilization).toBe(P.floor);
  });

  it('charges queued requests beyond the knee, halving the queue factor every queueScale', () => {
    expect(headroomFactors({ ...idle, queueDepth: 4 }, O, P).queue).toBe(1);
    expect(headroomFactors({ ...idle, queueDepth: 8 }, O, P).queue).toBe(0.5);
    expect(headroomFactors({ ...idle, queueDepth: 16 }, O, P).queue).toBe(0.25);
  });

  it('charges latency beyond the objective plus slack, by the cube of the excess', () => {
    expect(headroomFactors({ ...idle, p99Ms: 12.5 }, O, P).latency).toBe(1);
    // 4x slower than a 10 ms objective: (12.5 / 40)^3.
    expect(headroomFactors({ ...idle, p99Ms: 40 }, O, P).latency).toBeCloseTo(0.030517578125, 10);
    // No objective and no peers: nothing to compare with.
    expect(headroomFactors({ ...idle, p99Ms: 400 }, {}, P).latency).toBe(1);
  });

  it('takes the worse of p50 and p99 against the peers, with a wider slack for the noisy tail', () => {
    const peers = { p50: 5, p99: 10, peers: true };
    // Median like the peers, tail 4x theirs: a queue building up; (20 / 40)^3.
    expect(headroomFactors({ ...idle, p99Ms: 40 }, peers, P).latency).toBeCloseTo(0.125, 10);
    // A tail up to twice theirs is noise, not a verdict.
    expect(headroomFactors({ ...idle, p99Ms: 20 }, peers, P).latency).toBe(1);
    // Everything 2x slower: (6.25 / 10)^3 from the p50.
    expect(headroomFactors({ ...idle, p50Ms: 10, p99Ms: 20 }, peers, P).latency).toBeCloseTo(0.244140625, 10);
  });

  it('charges errors at errorScale per unit of error rate', () => {
    expect(headroomFactors({ ...idle, errorRate: 0.1 }, O, P).error).toBeCloseTo(0.8, 10);
    expect(headroomFactors({ ...idle, errorRate: 0.9 }, O, P).error).toBe(P.floor);
  });

  it('trusts latency and errors only with enough requests in the window', () => {
    const f = headroomFactors({ ...idle, requests: P.minRequests - 1, p99Ms: 400, errorRate: 1 }, O, P);
    expect(f.latency).toBeUndefined();
    expect(f.error).toBeUndefined();
  });
});

describe('tuner smoothing, hysteresis and step', () => {
  it('starts at the target of the first sample (a restarted control plane agrees)', () => {
    const s = tuneStep(undefined, { ...idle, p99Ms: 40 }, O, 1000, P);
    expect(s.weight).toBe(3);
    expect(s.score).toBeCloseTo(0.030517578125, 10);
  });

  it('moves the score by 1 - exp(-dt/tau) towards the raw value, faster down than up', () => {
    const alpha = 1 - Math.exp(-1);
    const s0 = tuneStep(undefined, idle, O, 0, P);
    const s1 = tuneStep(s0, { ...idle, p99Ms: 40 }, O, P.tauDownMs, P);
    expect(s1.score).toBeCloseTo(1 + alpha * (0.030517578125 - 1), 10);
    const s2 = tuneStep(s1, idle, O, P.tauDownMs + P.tauUpMs, P);
    expect(s2.score).toBeCloseTo(s1.score + alpha * (1 - s1.score), 10);
  });

  it('ignores changes inside the deadband, halves at most on the way down, +25 % on the way up', () => {
    expect(nextWeight(100, 95, P)).toBe(100);
    expect(nextWeight(100, 89, P)).toBe(89);
    expect(nextWeight(80, 85, P)).toBe(80);
    // The bounds are always reachable, so an idle endpoint ends at exactly full weight.
    expect(nextWeight(95, 100, P)).toBe(100);
    expect(nextWeight(2, 1, P)).toBe(1);
    expect(nextWeight(100, 10, P)).toBe(50);
    // Halving an odd weight rounds up: the step down never takes more than half.
    expect(nextWeight(3, 1, P)).toBe(2);
    expect(nextWeight(21, 2, P)).toBe(11);
    expect(nextWeight(10, 100, P)).toBe(12);
    // The climb is per second: four quarter-second updates add up to one +25 % step (less
    // what rounding down each time takes: 42, 44, 46, 48).
    let w = 40;
    for (let i = 0; i < 4; i++) w = nextWeight(w, 100, P, 250);
    expect(w).toBe(48);
    expect(nextWeight(1, 3, P)).toBe(2);
    expect(nextWeight(80, 100, P)).toBe(100);
  });

  it('never goes below minWeight', () => {
    expect(targetWeight(0, P)).toBe(P.minWeight);
    expect(targetWeight(2, P)).toBe(P.maxWeight);
  });

  it('takes most of a 4x slower endpoint weight within 5 s of 1 Hz heartbeats, and gives it back in 20 s', () => {
    let s = tuneStep(undefined, idle, O, 0, P);
    for (let t = 1000; t <= 5000; t += 1000) s = tuneStep(s, { ...idle, p99Ms: 40 }, O, t, P);
    expect(s.weight).toBeLessThanOrEqual(15);
    const low = s.weight;
    s = tuneStep(s, idle, O, 6000, P);
    // One update up: +25 % at most.
    expect(s.weight).toBeLessThanOrEqual(Math.max(low + 1, Math.floor(low * 1.25)));
    for (let t = 7000; t <= 25_000; t += 1000) s = tuneStep(s, idle, O, t, P);
    expect(s.weight).toBeGreaterThanOrEqual(95);
  });

  it('keeps the last trusted latency factor while an endpoint is starved of requests', () => {
    let s = tuneStep(undefined, { ...idle, p99Ms: 40 }, O, 0, P);
    s = tuneStep(s, { ...idle, p99Ms: 0, requests: 0 }, O, 5000, P);
    expect(s.latency).toBeCloseTo(0.030517578125, 10);
    expect(s.weight).toBe(3);
  });

  it('takes the lower median of the peers as the reference', () => {
    expect(peerReference([10, 11, 40, 9])).toBe(10);
    expect(peerReference([10, 40])).toBe(10);
    expect(peerReference([0, 0])).toBeUndefined();
    expect(peerReference([25])).toBe(25);
  });
});

describe('GPU overflow', () => {
  const p = DEFAULT_OVERFLOW;

  it('enters at the threshold and leaves below the exit threshold after the hold time', () => {
    let s = nextOverflow(NO_OVERFLOW, [pct(70), pct(79)], 0, p);
    expect(s.active).toBe(false);
    s = nextOverflow(s, [pct(85), pct(80)], 1000, p);
    expect(s).toEqual({ active: true, sinceMs: 1000 });
    // Below exit, but within the hold: stays.
    s = nextOverflow(s, [pct(20), pct(30)], 1000 + p.holdMs - 1, p);
    expect(s.active).toBe(true);
    // Between the thresholds: stays (hysteresis).
    s = nextOverflow(s, [pct(60), pct(70)], 1000 + p.holdMs + 10, p);
    expect(s.active).toBe(true);
    s = nextOverflow(s, [pct(40), pct(50)], 1000 + p.holdMs + 20, p);
    expect(s.active).toBe(false);
  });

  it('has nothing to overflow from without GPU endpoints', () => {
    expect(nextOverflow({ active: true, sinceMs: 0 }, [], 10, p).active).toBe(false);
  });

  it('rejects thresholds in the wrong order', () => {
    expect(validateOverflow({ enterUtilization: pct(50), exitUtilization: pct(60), holdMs: 0 })).toMatch(
      /exit/,
    );
    expect(validateOverflow(p)).toBeUndefined();
  });
});

describe('tuner against junk signals', () => {
  const junk: LoadSignals[] = [
    { ...idle, utilization: u(Number.NaN) },
    { ...idle, errorRate: Number.NaN },
    { ...idle, p99Ms: Number.NaN },
    { ...idle, utilization: u(Number.POSITIVE_INFINITY), queueDepth: Number.NaN },
    { ...idle, utilization: u(-5), p50Ms: Number.NEGATIVE_INFINITY },
  ];

  it('never produces a weight that is NaN or outside minWeight..maxWeight', () => {
    for (const s of junk) {
      const first = tuneStep(undefined, s, O, 0, P);
      const settled = tuneStep(tuneStep(undefined, idle, O, 0, P), s, O, 1000, P);
      const after = tuneStep(settled, idle, O, 2000, P);
      for (const st of [first, settled, after]) {
        expect(Number.isInteger(st.weight), `${JSON.stringify(s)} -> ${st.weight}`).toBe(true);
        expect(st.weight).toBeGreaterThanOrEqual(P.minWeight);
        expect(st.weight).toBeLessThanOrEqual(P.maxWeight);
        expect(Number.isFinite(st.score)).toBe(true);
        expect(Number.isFinite(st.latency) && Number.isFinite(st.error)).toBe(true);
      }
    }
  });

  it('keeps the previous score when a sample says nothing finite', () => {
    const prev = tuneStep(undefined, { ...idle, utilization: u(0.9) }, O, 0, P);
    const next = tuneStep(prev, { ...idle, utilization: u(Number.NaN) }, O, 1000, P);
    expect(next.score).toBe(prev.score);
    expect(next.weight).toBe(prev.weight);
  });

  it('maps a non-finite score or weight into range', () => {
    expect(targetWeight(Number.NaN, P)).toBe(P.minWeight);
    expect(targetWeight(Number.POSITIVE_INFINITY, P)).toBe(P.minWeight);
    expect(nextWeight(Number.NaN, 50, P)).toBe(50);
    expect(nextWeight(40, Number.NaN, P)).toBe(40);
    expect(nextWeight(Number.NaN, Number.NaN, P)).toBe(P.minWeight);
  });
});

describe('tuner boundaries', () => {
  it('gives full utilization headroom when utilization is unknown', () => {
    const { utilization: _, ...unknown } = idle;
    expect(headroomFactors(unknown, O, P).utilization).toBe(1);
  });

  it('never rates an endpoint above 1 for being faster than allowed', () => {
    const fast = { ...idle, p50Ms: 1, p99Ms: 1 };
    expect(headroomFactors(fast, { p50: 5, p99: 10, peers: true }, P).latency).toBe(1);
  });

  it('trusts latency and errors from exactly minRequests requests on', () => {
    const f = headroomFactors({ ...idle, requests: P.minRequests, p99Ms: 40, errorRate: 0.1 }, O, P);
    expect(f.latency).toBeCloseTo(0.030517578125, 10);
    expect(f.error).toBeCloseTo(0.8, 10);
  });

  it('leaves latency and errors out of the factors without evidence, rather than undefined', () => {
    expect(headroomFactors({ ...idle, requests: 0 }, O, P)).toStrictEqual({ utilization: 1, queue: 1 });
  });

  it('multiplies the factors into the score, and takes a first error factor as it is', () => {
    const s = tuneStep(undefined, { ...idle, queueDepth: 8, errorRate: 0.1 }, O, 0, P);
    expect(s.error).toBeCloseTo(0.8, 10);
    expect(s.score).toBeCloseTo(0.4, 10);
    expect(s.weight).toBe(40);
  });

  it('starts at full score when the first sample says nothing finite', () => {
    const s = tuneStep(undefined, { ...idle, utilization: u(Number.NaN) }, O, 0, P);
    expect(s.score).toBe(1);
    expect(s.weight).toBe(P.maxWeight);
  });

  it('moves at a change of exactly the deadband, and always reaches minWeight', () => {
    expect(nextWeight(100, 90, P)).toBe(90);
    // With a minWeight above 1, one step to it is inside the deadband and still taken.
    expect(nextWeight(11, 10, { ...P, minWeight: 10 })).toBe(10);
    expect(nextWeight(12, 11, { ...P, minWeight: 10 })).toBe(12);
  });
});
