import { describe, expect, it, vi } from 'vitest';
import { Fanout } from './fanout.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('Fanout', () => {
  it('delivers in slices, yielding between them, newest delivery per stream only', async () => {
    const f = new Fanout(2);
    const got: string[] = [];
    f.push(1, () => got.push('1a'));
    f.push(2, () => got.push('2'));
    f.push(3, () => got.push('3'));
    f.push(1, () => got.push('1b')); // replaces 1a, keeps its place
    expect(got).toEqual([]);
    await tick();
    expect(got).toEqual(['1b', '2']);
    await tick();
    expect(got).toEqual(['1b', '2', '3']);
  });

  it('forgets a dropped stream', async () => {
    const f = new Fanout();
    const got: number[] = [];
    f.push(1, () => got.push(1));
    f.push(2, () => got.push(2));
    f.drop(1);
    await tick();
    expect(got).toEqual([2]);
  });

  it('serves pushes that come after a run, and leaves nothing scheduled once empty', async () => {
    // A fanout that kept re-scheduling itself once empty (a busy loop that holds the process)
    // would run again on every turn of the event loop. Counted on the fanout itself: the
    // process's pending immediates also count other files' leftovers in a shared test worker.
    const runs = vi.spyOn(Fanout.prototype as unknown as { run: () => void }, 'run');
    try {
      const f = new Fanout();
      const got: number[] = [];
      f.push(1, () => got.push(1));
      await tick();
      expect(got).toEqual([1]);
      expect(runs).toHaveBeenCalledTimes(1);
      await tick();
      await tick();
      expect(runs).toHaveBeenCalledTimes(1);
      f.push(2, () => got.push(2));
      await tick();
      expect(got).toEqual([1, 2]);
      expect(runs).toHaveBeenCalledTimes(2);
    } finally {
      runs.mockRestore();
    }
  });
});
