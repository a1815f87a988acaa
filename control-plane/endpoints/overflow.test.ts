// The overflow state machine's boundaries: each threshold and the hold are inclusive, as
// docs/ENDPOINTS.md describes them.
import { describe, expect, it } from 'vitest';
import { DEFAULT_OVERFLOW, NO_OVERFLOW, nextOverflow, validateOverflow } from './overflow.js';

const p = DEFAULT_OVERFLOW;

describe('GPU overflow boundaries', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_OVERFLOW).toEqual({ enterPercent: 80, exitPercent: 50, holdMs: 3000 });
    expect(NO_OVERFLOW).toEqual({ active: false, sinceMs: 0 });
  });

  it('enters when the mean reaches enterPercent exactly, not just below', () => {
    expect(nextOverflow(NO_OVERFLOW, [79.9], 5, p)).toBe(NO_OVERFLOW);
    // Mean of 70 and 90 is 80: the mean decides, not the sum or the largest.
    expect(nextOverflow(NO_OVERFLOW, [70, 90], 5, p)).toEqual({ active: true, sinceMs: 5 });
    expect(nextOverflow(NO_OVERFLOW, [60, 99], 5, p)).toBe(NO_OVERFLOW);
    expect(nextOverflow(NO_OVERFLOW, [40, 40, 40], 5, p)).toBe(NO_OVERFLOW);
  });

  it('leaves at exitPercent exactly once the hold has passed exactly, and not before', () => {
    const on = { active: true, sinceMs: 1000 };
    expect(nextOverflow(on, [50], 1000 + p.holdMs, p)).toEqual({ active: false, sinceMs: 1000 + p.holdMs });
    expect(nextOverflow(on, [50.1], 1000 + p.holdMs, p)).toBe(on);
    expect(nextOverflow(on, [50], 1000 + p.holdMs - 1, p)).toBe(on);
    // Mean (30 + 70) / 2 = 50.
    expect(nextOverflow(on, [30, 70], 1000 + p.holdMs, p).active).toBe(false);
    // Still above enter while active: stays, and keeps its start time.
    expect(nextOverflow(on, [95], 99_000, p)).toBe(on);
  });

  it('drops out, stamped now, when the GPU endpoints are gone; idle stays idle', () => {
    expect(nextOverflow({ active: true, sinceMs: 1 }, [], 42, p)).toEqual({ active: false, sinceMs: 42 });
    const idle = { active: false, sinceMs: 7 };
    expect(nextOverflow(idle, [], 42, p)).toBe(idle);
  });

  it('accepts 0 <= exit < enter <= 100 and hold >= 0, and names what is wrong otherwise', () => {
    expect(validateOverflow({ enterPercent: 100, exitPercent: 0, holdMs: 0 })).toBeUndefined();
    expect(validateOverflow({ enterPercent: 60, exitPercent: 60, holdMs: 0 })).toBe(
      'overflow thresholds need 0 <= exit (60) < enter (60) <= 100',
    );
    expect(validateOverflow({ enterPercent: 101, exitPercent: 50, holdMs: 0 })).toBe(
      'overflow thresholds need 0 <= exit (50) < enter (101) <= 100',
    );
    expect(validateOverflow({ enterPercent: 50, exitPercent: -1, holdMs: 0 })).toBe(
      'overflow thresholds need 0 <= exit (-1) < enter (50) <= 100',
    );
    expect(validateOverflow({ enterPercent: 80, exitPercent: 50, holdMs: -1 })).toBe(
      'overflow hold must be >= 0, got -1',
    );
    expect(validateOverflow({ enterPercent: 80, exitPercent: 50, holdMs: Number.NaN })).toBe(
      'overflow hold must be >= 0, got NaN',
    );
    expect(validateOverflow({ enterPercent: Number.NaN, exitPercent: 50, holdMs: 0 })).toMatch(
      /enter \(NaN\)/,
    );
  });
});
