import { describe, expect, it } from 'vitest';
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
    const immediates = () => process.getActiveResourcesInfo().filter((r) => r === 'Immediate').length;
    const before = immediates();
    const f = new Fanout();
    const got: number[] = [];
    f.push(1, () => got.push(1));
    await tick();
    expect(got).toEqual([1]);
    // An empty fanout does not keep re-scheduling itself (a busy loop that holds the process).
    expect(immediates()).toBe(before);
    f.push(2, () => got.push(2));
    await tick();
    expect(got).toEqual([1, 2]);
  });
});
