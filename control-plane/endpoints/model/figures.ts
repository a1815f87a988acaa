// Per-version request figures over heartbeat intervals, summed across pods: what a rollout's
// analysis compares between a candidate and its stable version. Pods report counters since
// their previous heartbeat (ModelLoad.interval_*); the table adds every accepted heartbeat to a
// running total per version, so a consumer reading the totals at two instants gets the exact
// counts between them, whatever its own period (docs/ENDPOINTS.md, "Interval figures"). Pure.
import { histogramQuantileMs, LATENCY_BUCKET_COUNT } from '../../../kernel/contract/latency-buckets.js';
import type { IntervalCounts } from './signals.js';

export interface IntervalTotals {
  requests: number;
  errors: number;
  /** Successes by latency; bounds in kernel/contract/latency-buckets.ts, overflow last. */
  readonly latencyBuckets: number[];
  mirrorCompared: number;
  mirrorAgreed: number;
  mirrorAbsDiffSum: number;
}

export interface VersionFigures {
  readonly model: string;
  readonly version: string;
  /** Pods whose latest heartbeat is in `last`. */
  readonly pods: number;
  /** The sum of every pod's latest heartbeat interval: about one interval of traffic. */
  readonly last: IntervalTotals;
  /** Every accepted heartbeat since discovery started; only grows. Subtract two readings. */
  readonly total: IntervalTotals;
}

/** Ratios of a set of totals, for gates and status lines. */
export interface FiguresSummary {
  readonly requests: number;
  readonly errors: number;
  /** errors / requests; 0 without requests. */
  readonly errorRate: number;
  /** Upper bound of the bucket holding the quantile; Infinity in the overflow bucket. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly mirrorCompared: number;
  /** mirror_agreed / mirror_compared; undefined when nothing was compared. */
  readonly agreement?: number;
  readonly meanAbsDiff?: number;
}

export function emptyTotals(): IntervalTotals {
  return {
    requests: 0,
    errors: 0,
    latencyBuckets: new Array<number>(LATENCY_BUCKET_COUNT).fill(0),
    mirrorCompared: 0,
    mirrorAgreed: 0,
    mirrorAbsDiffSum: 0,
  };
}

/** Adds one pod's interval into `into` (mutates it). */
export function addInterval(into: IntervalTotals, c: IntervalCounts): IntervalTotals {
  into.requests += c.requests;
  into.errors += c.errors;
  for (let i = 0; i < c.latencyBuckets.length && i < into.latencyBuckets.length; i++)
    into.latencyBuckets[i]! += c.latencyBuckets[i]!;
  into.mirrorCompared += c.mirrorCompared;
  into.mirrorAgreed += c.mirrorAgreed;
  into.mirrorAbsDiffSum += c.mirrorAbsDiffSum;
  return into;
}

export function copyTotals(t: IntervalCounts): IntervalTotals {
  return addInterval(emptyTotals(), t);
}

/** What happened between two readings of `total` (later minus earlier). */
export function totalsBetween(later: IntervalCounts, earlier: IntervalCounts): IntervalTotals {
  return {
    requests: later.requests - earlier.requests,
    errors: later.errors - earlier.errors,
    latencyBuckets: later.latencyBuckets.map((n, i) => n - (earlier.latencyBuckets[i] ?? 0)),
    mirrorCompared: later.mirrorCompared - earlier.mirrorCompared,
    mirrorAgreed: later.mirrorAgreed - earlier.mirrorAgreed,
    mirrorAbsDiffSum: later.mirrorAbsDiffSum - earlier.mirrorAbsDiffSum,
  };
}

export function summarize(t: IntervalCounts): FiguresSummary {
  return {
    requests: t.requests,
    errors: t.errors,
    errorRate: t.requests ? t.errors / t.requests : 0,
    p50Ms: histogramQuantileMs(t.latencyBuckets, 0.5),
    p99Ms: histogramQuantileMs(t.latencyBuckets, 0.99),
    mirrorCompared: t.mirrorCompared,
    ...(t.mirrorCompared
      ? { agreement: t.mirrorAgreed / t.mirrorCompared, meanAbsDiff: t.mirrorAbsDiffSum / t.mirrorCompared }
      : {}),
  };
}
