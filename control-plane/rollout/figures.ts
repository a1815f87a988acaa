// What the analysis judges: one version's figures over one evaluation interval, summed over its
// pods. Pure. The pods' heartbeats feed it through heartbeat-figures.ts. Latency buckets are the
// pods' own table (kernel/contract/latency-buckets.ts), so bucket i means the same on both sides.

import { LATENCY_BUCKET_BOUNDS_MS } from '../../kernel/contract/latency-buckets.js';

export interface VersionFigures {
  /** Requests answered or failed in the interval. */
  readonly requests: number;
  /** Of those, failures the pods are responsible for. */
  readonly errors: number;
  /** Successful requests per latency bucket (the pods' bounds plus overflow); empty when unknown. */
  readonly latencyBuckets: readonly number[];
  /** Used only when no buckets are reported: the slowest pod's p99 over its sliding window. */
  readonly p99Ms?: number;
  /** Likewise the slowest pod's window p50 (what tells a candidate slow before minRequests). */
  readonly p50Ms?: number;
  /** Mirrored requests whose answers were compared, and how many agreed. */
  readonly mirrorCompared?: number;
  readonly mirrorAgreed?: number;
}

export const NO_FIGURES: VersionFigures = { requests: 0, errors: 0, latencyBuckets: [] };

/**
 * The 99th percentile, interpolated linearly inside the bucket it falls in (as Prometheus'
 * histogram_quantile does), so one bucket's width does not read as a 2x regression. In the
 * overflow bucket it is Infinity: beyond every bound, no threshold can be met.
 */
export function p99FromBuckets(buckets: readonly number[]): number | undefined {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  const rank = total * 0.99;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    const n = buckets[i] ?? 0;
    const upper = LATENCY_BUCKET_BOUNDS_MS[i];
    if (seen + n >= rank && n > 0) {
      if (upper === undefined) return Number.POSITIVE_INFINITY;
      const lower = i === 0 ? 0 : (LATENCY_BUCKET_BOUNDS_MS[i - 1] ?? 0);
      return lower + ((upper - lower) * (rank - seen)) / n;
    }
    seen += n;
  }
  return Number.POSITIVE_INFINITY;
}

export function p99Of(f: VersionFigures): number | undefined {
  return f.latencyBuckets.length > 0 ? p99FromBuckets(f.latencyBuckets) : f.p99Ms;
}

/** Sums figures of several pods (or intervals); p99 without buckets is the worst one. */
export function sumFigures(list: readonly VersionFigures[]): VersionFigures {
  const width = Math.max(0, ...list.map((f) => f.latencyBuckets.length));
  const buckets = new Array<number>(width).fill(0);
  let requests = 0;
  let errors = 0;
  let p99: number | undefined;
  let p50: number | undefined;
  let compared = 0;
  let agreed = 0;
  for (const f of list) {
    requests += f.requests;
    errors += f.errors;
    f.latencyBuckets.forEach((n, i) => {
      buckets[i] = (buckets[i] ?? 0) + n;
    });
    if (f.p99Ms !== undefined) p99 = Math.max(p99 ?? 0, f.p99Ms);
    if (f.p50Ms !== undefined) p50 = Math.max(p50 ?? 0, f.p50Ms);
    compared += f.mirrorCompared ?? 0;
    agreed += f.mirrorAgreed ?? 0;
  }
  return {
    requests,
    errors,
    latencyBuckets: buckets,
    ...(p99 !== undefined ? { p99Ms: p99 } : {}),
    ...(p50 !== undefined ? { p50Ms: p50 } : {}),
    ...(compared > 0 ? { mirrorCompared: compared, mirrorAgreed: agreed } : {}),
  };
}
