// The overflow state machine's boundaries: each threshold and the hold are inclusive, as
// docs/ENDPOINTS.md describes them.
import { describe, expect, it } from 'vitest';
import { DEFAULT_OVERFLOW, NO_OVERFLOW, nextOverflow, validateOverflow } from './overflow.js';
import { type Utilization, utilizationFromPercent } from './utilization.js';

// The pods and the flags speak percent; the state machine takes fractions.
const pc = (...percents: number[]): Utilization[] => percents.map(utilizationFromPercent);
const params = (enter: number, exit: number, holdMs: number) => ({
  enterUtilization: utilizationFromPercent(enter),
  exitUtilization: utilizationFromPercent(exit),
  holdMs,
});

const p = DEFAULT_OVERFLOW;

describe('GPU overflow boundaries', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_OVERFLOW).toEqual(params(80, 50, 3000));
    expect(NO_OVERFLOW).toEqual({ active: false, sinceMs: 0 });
  });

  it('enters when the mean reaches the enter threshold exactly, not just below', () => {
    expect(nextOverflow(NO_OVERFLOW, pc(79.9), 5, p)).toBe(NO_OVERFLOW);
    // Mean of 70 and 90 is 80: the mean decides, not the sum or the largest.
    expect(nextOverflow(NO_OVERFLOW, pc(70, 90), 5, p)).toEqual({ active: true, sinceMs: 5 });
    expect(nextOverflow(NO_OVERFLOW, pc(60, 99), 5, p)).toBe(NO_OVERFLOW);
    expect(nextOverflow(NO_OVERFLOW, pc(40, 40, 40), 5, p)).toBe(NO_OVERFLOW);
  });

  it('leaves at the exit threshold exactly once the hold has passed exactly, and not before', () => {
    const on = { active: true, sinceMs: 1000 };
    expect(nextOverflow(on, pc(50), 1000 + p.holdMs, p)).toEqual({ active: false, sinceMs: 1000 + p.holdMs });
    expect(nextOverflow(on, pc(50.1), 1000 + p.holdMs, p)).toBe(on);
    expect(nextOverflow(on, pc(50), 1000 + p.holdMs - 1, p)).toBe(on);
    // Mean (30 + 70) / 2 = 50.
    expect(nextOverflow(on, pc(30, 70), 1000 + p.holdMs, p).active).toBe(false);
    // Still above enter while active: stays, and keeps its start time.
    expect(nextOverflow(on, pc(95), 99_000, p)).toBe(on);
  });

  it('drops out, stamped now, when the GPU endpoints are gone; idle stays idle', () => {
    expect(nextOverflow({ active: true, sinceMs: 1 }, [], 42, p)).toEqual({ active: false, sinceMs: 42 });
    const idle = { active: false, sinceMs: 7 };
    expect(nextOverflow(idle, pc(), 42, p)).toBe(idle);
  });

  it('accepts 0 <= exit < enter <= 100 and hold >= 0, and names what is wrong otherwise', () => {
    expect(validateOverflow(params(100, 0, 0))).toBeUndefined();
    expect(validateOverflow(params(60, 60, 0))).toBe(
      'overflow thresholds need 0 <= exit (60) < enter (60) <= 100',
    );
    expect(validateOverflow(params(101, 50, 0))).toBe(
      'overflow thresholds need 0 <= exit (50) < enter (101) <= 100',
    );
    expect(validateOverflow(params(50, -1, 0))).toBe(
      'overflow thresholds need 0 <= exit (-1) < enter (50) <= 100',
    );
    expect(validateOverflow(params(80, 50, -1))).toBe('overflow hold must be >= 0, got -1');
    expect(validateOverflow(params(80, 50, Number.NaN))).toBe('overflow hold must be >= 0, got NaN');
    expect(validateOverflow(params(Number.NaN, 50, 0))).toMatch(/enter \(NaN\)/);
  });
});
