// Token buckets for the rate limits of spec.access.rateLimit: one per model, one per tenant.
// Tenants come from callers (JWT claims, SPIFFE IDs), so their buckets are bounded: a bucket
// that is full again (idle long enough to refill) holds no state worth keeping and is dropped
// first; past the bound the least recently used goes. Time is passed in (pure, testable).
import type { AccessRate } from '../../kernel/contract/index.js';

export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    readonly rate: AccessRate,
    nowMs: number,
  ) {
    this.tokens = rate.burst;
    this.at = nowMs;
  }

  private refill(nowMs: number): void {
    if (nowMs > this.at) {
      this.tokens = Math.min(this.rate.burst, this.tokens + ((nowMs - this.at) / 1000) * this.rate.rps);
      this.at = nowMs;
    }
  }

  /** 0 when a token is free now, else whole seconds until one is (at least 1). */
  wait(nowMs: number): number {
    this.refill(nowMs);
    if (this.tokens >= 1) return 0;
    return Math.max(1, Math.ceil((1 - this.tokens) / this.rate.rps));
  }

  take(): void {
    this.tokens -= 1;
  }

  /** Idle long enough to be full: forgetting it changes nothing. */
  full(nowMs: number): boolean {
    this.refill(nowMs);
    return this.tokens >= this.rate.burst;
  }
}

export const MAX_TENANT_BUCKETS = 10_000;

export class TenantBuckets {
  /** Insertion order is recency order: a used bucket is moved to the end. */
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly limitOf: (tenant: string) => AccessRate | undefined,
    private readonly max = MAX_TENANT_BUCKETS,
  ) {}

  get size(): number {
    return this.buckets.size;
  }

  /** The tenant's bucket, or undefined when no limit applies to it. */
  get(tenant: string, nowMs: number): TokenBucket | undefined {
    let b = this.buckets.get(tenant);
    if (b) {
      this.buckets.delete(tenant);
      this.buckets.set(tenant, b);
      return b;
    }
    const rate = this.limitOf(tenant);
    if (!rate) return undefined;
    if (this.buckets.size >= this.max) this.evict(nowMs);
    b = new TokenBucket(rate, nowMs);
    this.buckets.set(tenant, b);
    return b;
  }

  private evict(nowMs: number): void {
    for (const [t, b] of this.buckets) if (b.full(nowMs)) this.buckets.delete(t);
    // Everyone busy: the least recently used goes (it refills to full when it comes back).
    while (this.buckets.size >= this.max) {
      const oldest = this.buckets.keys().next().value as string;
      this.buckets.delete(oldest);
    }
  }
}
