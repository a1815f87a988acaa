// The token bucket in front of mutating admin calls, on an injected clock: a burst, a refill at
// perSecond, one bucket per caller, and the wait a refused caller is told.
import { describe, expect, it } from 'vitest';
import { RateLimitedError } from '../../kernel/errors/index.js';
import { RateLimiter } from './rate-limit.js';

/** The error `take` threw, or undefined when it let the call through. */
function refusal(limiter: RateLimiter, caller: string): RateLimitedError | undefined {
  try {
    limiter.take(caller);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(RateLimitedError);
    return err as RateLimitedError;
  }
}

describe('RateLimiter', () => {
  it('lets a new caller through `burst` times at once, then refuses with the seconds until a token', () => {
    const limiter = new RateLimiter({ perSecond: 2, burst: 3 }, () => 1000);
    for (let i = 0; i < 3; i++) expect(refusal(limiter, 'a'), `call ${i}`).toBeUndefined();
    const e = refusal(limiter, 'a');
    expect(e?.retryAfterSeconds).toBe(1);
    expect(e?.code).toBe('SY_RATE_LIMITED');
  });

  it('refills at perSecond: a whole token exactly when it is due, not before', () => {
    let now = 0;
    const limiter = new RateLimiter({ perSecond: 2, burst: 1 }, () => now);
    expect(refusal(limiter, 'a')).toBeUndefined();
    now = 250;
    expect(refusal(limiter, 'a')).toBeInstanceOf(RateLimitedError);
    // 250 ms more at 2 per second: exactly one token.
    now = 500;
    expect(refusal(limiter, 'a')).toBeUndefined();
    expect(refusal(limiter, 'a')).toBeInstanceOf(RateLimitedError);
  });

  it('keeps at most `burst` tokens however long a caller was idle', () => {
    let now = 0;
    const limiter = new RateLimiter({ perSecond: 10, burst: 2 }, () => now);
    expect(refusal(limiter, 'a')).toBeUndefined();
    now = 3_600_000;
    expect(refusal(limiter, 'a')).toBeUndefined();
    expect(refusal(limiter, 'a')).toBeUndefined();
    expect(refusal(limiter, 'a')).toBeInstanceOf(RateLimitedError);
  });

  it('tells the wait from what is missing of the next token, rounded up to whole seconds', () => {
    let now = 0;
    const limiter = new RateLimiter({ perSecond: 0.1, burst: 1 }, () => now);
    expect(refusal(limiter, 'a')).toBeUndefined();
    // One token per 10 s: nothing refilled yet.
    expect(refusal(limiter, 'a')?.retryAfterSeconds).toBe(10);
    // 4.5 s later 0.45 of a token is there: 5.5 s to go, said as 6.
    now = 4500;
    expect(refusal(limiter, 'a')?.retryAfterSeconds).toBe(6);
  });

  it('gives every caller a bucket of its own', () => {
    const limiter = new RateLimiter({ perSecond: 1, burst: 1 }, () => 0);
    expect(refusal(limiter, 'a')).toBeUndefined();
    expect(refusal(limiter, 'a')).toBeInstanceOf(RateLimitedError);
    expect(refusal(limiter, 'b')).toBeUndefined();
  });

  it('reads the wall clock when none is given', () => {
    // Without a clock reading the bucket's arithmetic would be NaN, and NaN tokens let nobody in.
    const limiter = new RateLimiter({ perSecond: 1, burst: 1 });
    expect(refusal(limiter, 'a')).toBeUndefined();
  });
});
