// A token bucket per caller for mutating calls (pure apart from the injected clock).
import { RateLimitedError } from '../../kernel/errors/index.js';

export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

export class RateLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Takes one token for `caller` or throws RateLimitedError with the wait in seconds. */
  take(caller: string): void {
    const t = this.now();
    const b = this.buckets.get(caller) ?? { tokens: this.limit.burst, at: t };
    b.tokens = Math.min(this.limit.burst, b.tokens + ((t - b.at) / 1000) * this.limit.perSecond);
    b.at = t;
    this.buckets.set(caller, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return;
    }
    throw new RateLimitedError(Math.max(1, Math.ceil((1 - b.tokens) / this.limit.perSecond)));
  }
}
