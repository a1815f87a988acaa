// Counters per model version since the previous heartbeat: requests, pod failures, a latency
// histogram of the successes (bounds shared with the control plane) and the mirror comparison.
// Unlike the sliding window these are handed over and reset, so the control plane can add
// them up across pods for one interval and compare a candidate with the stable version over
// the very same seconds (docs/ENDPOINTS.md, "Interval figures").
import { LATENCY_BUCKET_COUNT, latencyBucketOf } from '../../kernel/contract/latency-buckets.js';
import type { InferenceObserver, Outcome } from './observer.js';
import { isPodFailure } from './observer.js';

export interface IntervalFigures {
  requests: number;
  errors: number;
  readonly latencyBuckets: number[];
  mirrorCompared: number;
  mirrorAgreed: number;
  mirrorAbsDiffSum: number;
}

export function emptyInterval(): IntervalFigures {
  return {
    requests: 0,
    errors: 0,
    latencyBuckets: new Array<number>(LATENCY_BUCKET_COUNT).fill(0),
    mirrorCompared: 0,
    mirrorAgreed: 0,
    mirrorAbsDiffSum: 0,
  };
}

export class IntervalCounters implements InferenceObserver {
  private current = new Map<string, IntervalFigures>();

  queued(): void {}
  batch(): void {}

  /** Counted like the sliding window: client mistakes, cancellations and drain refusals stay out. */
  finished(model: string, version: string, outcome: Outcome, latencyMs: number): void {
    const ok = outcome === 'success';
    if (!ok && !isPodFailure(outcome)) return;
    const f = this.of(model, version);
    f.requests++;
    if (ok) f.latencyBuckets[latencyBucketOf(latencyMs)]!++;
    else f.errors++;
  }

  /** One mirrored request compared: `absDiff` is the mean absolute difference of its outputs. */
  mirrored(model: string, version: string, agreed: boolean, absDiff: number): void {
    const f = this.of(model, version);
    f.mirrorCompared++;
    if (agreed) f.mirrorAgreed++;
    f.mirrorAbsDiffSum += absDiff;
  }

  /** The figures since the previous take, by `${model}/${version}`; starts a new interval. */
  take(): Map<string, IntervalFigures> {
    const out = this.current;
    this.current = new Map();
    return out;
  }

  private of(model: string, version: string): IntervalFigures {
    const key = `${model}/${version}`;
    let f = this.current.get(key);
    if (!f) {
      f = emptyInterval();
      this.current.set(key, f);
    }
    return f;
  }
}
