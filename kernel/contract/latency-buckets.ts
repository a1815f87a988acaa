// The latency histogram a pod reports per model version and heartbeat interval
// (ModelLoad.latency_bucket_counts): one count per upper bound below, inclusive, plus one
// overflow bucket last. Fixed here for both programs so a count means the same range on either
// side; docs/ENDPOINTS.md documents it. Pure.

/** Upper bounds in ms, ascending. */
export const LATENCY_BUCKET_BOUNDS_MS: readonly number[] = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000,
];

/** Bounds plus the overflow bucket. */
export const LATENCY_BUCKET_COUNT = LATENCY_BUCKET_BOUNDS_MS.length + 1;

/** The bucket a latency falls in. */
export function latencyBucketOf(ms: number): number {
  for (let i = 0; i < LATENCY_BUCKET_BOUNDS_MS.length; i++) if (ms <= LATENCY_BUCKET_BOUNDS_MS[i]!) return i;
  return LATENCY_BUCKET_BOUNDS_MS.length;
}

/**
 * The q-quantile (0..1) of a histogram as the upper bound of the bucket it falls in: an upper
 * estimate, never an interpolation. Infinity when it falls in the overflow bucket, 0 when empty.
 */
export function histogramQuantileMs(counts: readonly number[], q: number): number {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i]!;
    if (seen >= rank) return LATENCY_BUCKET_BOUNDS_MS[i] ?? Number.POSITIVE_INFINITY;
  }
  return Number.POSITIVE_INFINITY;
}
