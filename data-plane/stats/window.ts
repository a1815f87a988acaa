// Request figures over a sliding window (the last N seconds), for heartbeats: count, errors,
// throughput and latency percentiles. Pure: the caller passes the clock. Samples live in
// one-second buckets; a bucket keeps at most `maxSamplesPerBucket` latencies (uniform
// reservoir) so memory stays flat under load while percentiles stay honest.

export interface WindowSummary {
  readonly windowMs: number;
  readonly requests: number;
  readonly errors: number;
  readonly errorRate: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly throughputRps: number;
}

interface Bucket {
  second: number;
  requests: number;
  errors: number;
  seen: number;
  samples: number[];
}

export class SlidingWindow {
  private buckets: Bucket[] = [];

  constructor(
    readonly windowMs = 10_000,
    private readonly maxSamplesPerBucket = 1024,
    private readonly random: () => number = Math.random,
  ) {}

  /** ok=false: a failure the pod is responsible for. latencyMs counts only for successes. */
  record(nowMs: number, latencyMs: number, ok: boolean): void {
    const b = this.bucket(nowMs);
    b.requests++;
    if (!ok) {
      b.errors++;
      return;
    }
    b.seen++;
    if (b.samples.length < this.maxSamplesPerBucket) b.samples.push(latencyMs);
    else {
      const j = Math.floor(this.random() * b.seen);
      if (j < this.maxSamplesPerBucket) b.samples[j] = latencyMs;
    }
  }

  summary(nowMs: number): WindowSummary {
    this.expire(nowMs);
    let requests = 0;
    let errors = 0;
    const all: number[] = [];
    for (const b of this.buckets) {
      requests += b.requests;
      errors += b.errors;
      for (const s of b.samples) all.push(s);
    }
    all.sort((a, b) => a - b);
    return {
      windowMs: this.windowMs,
      requests,
      errors,
      errorRate: requests ? errors / requests : 0,
      p50Ms: percentile(all, 0.5),
      p99Ms: percentile(all, 0.99),
      throughputRps: (requests - errors) / (this.windowMs / 1000),
    };
  }

  private bucket(nowMs: number): Bucket {
    const second = Math.floor(nowMs / 1000);
    const last = this.buckets[this.buckets.length - 1];
    if (last && last.second === second) return last;
    this.expire(nowMs);
    const b: Bucket = { second, requests: 0, errors: 0, seen: 0, samples: [] };
    this.buckets.push(b);
    return b;
  }

  private expire(nowMs: number): void {
    const oldest = Math.floor((nowMs - this.windowMs) / 1000);
    while (this.buckets.length && this.buckets[0]!.second <= oldest) this.buckets.shift();
  }
}

/** Nearest-rank percentile of sorted values; 0 when empty. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}
