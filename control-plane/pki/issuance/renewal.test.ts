import { describe, expect, it } from 'vitest';
import { renewAt, retryDelayMs } from './renewal.js';

const H = 3_600_000;
const issued = new Date('2030-01-01T00:00:00Z');
const expiry = new Date(issued.getTime() + 24 * H);

describe('renewal schedule', () => {
  it('renews a 24 h certificate at half-life, jittered by +-5% of its life', () => {
    expect(renewAt(issued, expiry, () => 0.5).getTime() - issued.getTime()).toBe(12 * H);
    expect(renewAt(issued, expiry, () => 0).getTime() - issued.getTime()).toBe(0.45 * 24 * H);
    expect(renewAt(issued, expiry, () => 0.999999).getTime() - issued.getTime()).toBeCloseTo(
      0.55 * 24 * H,
      -3,
    );
  });

  it('spreads a fleet issued at one instant over the jitter window', () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const times = Array.from({ length: 200 }, () => renewAt(issued, expiry, rnd).getTime());
    expect(new Set(times).size).toBeGreaterThan(190);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(issued.getTime() + 0.45 * 24 * H);
    expect(Math.max(...times)).toBeLessThanOrEqual(issued.getTime() + 0.55 * 24 * H);
  });

  it('answers "now" for a certificate already past its end', () => {
    expect(renewAt(expiry, issued).getTime()).toBe(expiry.getTime());
  });

  it('backs off exponentially, never past a tenth of the time left', () => {
    expect([0, 1, 2, 3].map((a) => retryDelayMs(a, 24 * H))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(20, 24 * H)).toBe(30_000);
    expect(retryDelayMs(5, 5000)).toBe(500);
  });
});
