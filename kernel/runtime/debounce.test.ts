import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Debouncer } from './debounce.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Debouncer', () => {
  it('runs once after the quiet time, counting the events it saved', () => {
    const run = vi.fn();
    const saved: number[] = [];
    const d = new Debouncer({ quietMs: 100, maxMs: 10_000, run, onSaved: (n) => saved.push(n) });
    for (let i = 0; i < 5; i++) {
      d.trigger();
      vi.advanceTimersByTime(50);
    }
    expect(run).not.toHaveBeenCalled();
    vi.advanceTimersByTime(100);
    expect(run).toHaveBeenCalledTimes(1);
    expect(saved).toEqual([4]);
  });

  it('runs at the max wait even if events never stop', () => {
    const run = vi.fn();
    const d = new Debouncer({ quietMs: 100, maxMs: 1000, run });
    for (let t = 0; t < 1000; t += 50) {
      d.trigger();
      vi.advanceTimersByTime(50);
    }
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('does nothing when nothing is pending, and rejects quiet > max', () => {
    const run = vi.fn();
    new Debouncer({ quietMs: 10, maxMs: 20, run }).flush();
    expect(run).not.toHaveBeenCalled();
    expect(() => new Debouncer({ quietMs: 100, maxMs: 10, run })).toThrow(RangeError);
  });
});
