import { describe, expect, it } from 'vitest';
import { InjectedFailureError } from '../errors.js';
import { FaultInjector } from './faults.js';

/** Which of `n` calls fail (1-based). */
function failing(f: FaultInjector, n: number): number[] {
  const out: number[] = [];
  for (let i = 1; i <= n; i++) {
    try {
      f.check('m', '1');
    } catch (err) {
      expect(err).toBeInstanceOf(InjectedFailureError);
      out.push(i);
    }
  }
  return out;
}

describe('FaultInjector', () => {
  it('fails the chosen share spread evenly: every fifth call at 0.2', () => {
    expect(failing(new FaultInjector(0.2), 20)).toEqual([5, 10, 15, 20]);
  });

  it('gives every window the share within one call, whatever the rate', () => {
    for (const rate of [0.03, 0.1, 0.3, 1 / 3, 0.5, 0.7, 0.99]) {
      const fails = new Set(failing(new FaultInjector(rate), 1000));
      for (const size of [20, 37, 100])
        for (let start = 1; start + size <= 1001; start += 53) {
          let n = 0;
          for (let i = start; i < start + size; i++) if (fails.has(i)) n++;
          expect(Math.abs(n - rate * size), `${rate} over ${size} from ${start}`).toBeLessThanOrEqual(1);
        }
    }
  });

  it('fails none at 0 and every call at 1', () => {
    expect(failing(new FaultInjector(0), 50)).toEqual([]);
    expect(failing(new FaultInjector(1), 5)).toEqual([1, 2, 3, 4, 5]);
  });

  it('starts afresh when the rate changes, and refuses a rate outside 0..1', () => {
    const f = new FaultInjector(0.5);
    expect(failing(f, 3)).toEqual([2]);
    f.setErrorRate(0.25);
    expect([f.rate, failing(f, 8)]).toEqual([0.25, [4, 8]]);
    for (const bad of [-0.1, 1.5, Number.NaN]) expect(() => f.setErrorRate(bad)).toThrow(RangeError);
  });

  it('names the model, version and rate in its error', () => {
    expect(() => new FaultInjector(1).check('fraud', '2')).toThrow(/fraud.*2/);
  });
});
