// The overcommit eviction policy on its own: least recently used idle versions go first, busy
// ones never, and nothing is unloaded when unloading every idle one would still not make room.
import { describe, expect, it } from 'vitest';
import { type LoadedCandidate, planEviction } from './lru.js';

const MiB = 1024 * 1024;
const c = (key: string, mib: number, lastUsedMs: number, busy = false): LoadedCandidate => ({
  key,
  bytes: mib * MiB,
  lastUsedMs,
  busy,
});

describe('planEviction', () => {
  it('unloads nothing when the newcomer fits', () => {
    const plan = planEviction([c('a', 100, 1), c('b', 100, 2)], 100 * MiB, 300 * MiB);
    expect(plan).toEqual({ victims: [], fits: true, heldAfter: 200 * MiB });
  });

  it('unloads the least recently used idle version first, and only as many as needed', () => {
    const plan = planEviction([c('a', 100, 30), c('b', 100, 10), c('c', 100, 20)], 100 * MiB, 300 * MiB);
    expect(plan.victims).toEqual(['b']);
    expect(plan.fits).toBe(true);
    expect(plan.heldAfter).toBe(200 * MiB);
  });

  it('unloads several, oldest first, when one is not enough', () => {
    const plan = planEviction([c('a', 100, 30), c('b', 100, 10), c('c', 100, 20)], 200 * MiB, 300 * MiB);
    expect(plan.victims).toEqual(['b', 'c']);
    expect(plan.heldAfter).toBe(100 * MiB);
  });

  it('never picks a busy version, however old', () => {
    const plan = planEviction([c('old-busy', 100, 1, true), c('new-idle', 100, 50)], 100 * MiB, 200 * MiB);
    expect(plan.victims).toEqual(['new-idle']);
    expect(plan.fits).toBe(true);
  });

  it('chooses nothing when even every idle version would not make room', () => {
    const plan = planEviction([c('busy', 150, 1, true), c('idle', 100, 2)], 100 * MiB, 200 * MiB);
    expect(plan).toEqual({ victims: [], fits: false, heldAfter: 250 * MiB });
  });

  it('breaks a tie in last use by key, so the choice does not depend on order', () => {
    const a = planEviction([c('y', 100, 5), c('x', 100, 5)], 100 * MiB, 200 * MiB);
    const b = planEviction([c('x', 100, 5), c('y', 100, 5)], 100 * MiB, 200 * MiB);
    expect(a.victims).toEqual(['x']);
    expect(b.victims).toEqual(['x']);
  });
});
