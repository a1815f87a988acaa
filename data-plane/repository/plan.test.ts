import { describe, expect, it } from 'vitest';
import { planChanges } from './plan.js';
import type { ScannedVersion } from './scan.js';

const v = (key: string, fingerprint: string): [string, ScannedVersion] => {
  const [model, version] = key.split('/') as [string, string];
  return [key, { model, version, dir: `/repo/${key}`, fingerprint }];
};

describe('planChanges', () => {
  it('loads everything at start-up', () => {
    const p = planChanges({
      known: new Map(),
      scanned: new Map([v('a/1', 'f1'), v('b/1', 'f2')]),
      pending: new Map(),
      now: 0,
      settleMs: 500,
      initial: true,
    });
    expect(p.load.map((x) => `${x.model}/${x.version}`)).toEqual(['a/1', 'b/1']);
  });

  it('waits until a new version has stopped changing, then loads it', () => {
    const scanned = new Map([v('a/1', 'f1'), v('a/2', 'x')]);
    const known = new Map([['a/1', 'f1']]);
    const first = planChanges({
      known,
      scanned,
      pending: new Map(),
      now: 1000,
      settleMs: 500,
      initial: false,
    });
    expect(first.load).toEqual([]);
    expect(first.recheckAt).toBe(1500);
    // The file grew meanwhile: the clock starts again.
    const grown = new Map([v('a/1', 'f1'), v('a/2', 'y')]);
    const second = planChanges({
      known,
      scanned: grown,
      pending: first.pending,
      now: 1600,
      settleMs: 500,
      initial: false,
    });
    expect(second.load).toEqual([]);
    const third = planChanges({
      known,
      scanned: grown,
      pending: second.pending,
      now: 2100,
      settleMs: 500,
      initial: false,
    });
    expect(third.load.map((x) => x.version)).toEqual(['2']);
  });

  it('unloads removed versions at once and reloads changed ones', () => {
    const p = planChanges({
      known: new Map([
        ['a/1', 'f1'],
        ['a/2', 'f2'],
      ]),
      scanned: new Map([v('a/1', 'f1-new')]),
      pending: new Map([['a/1', { fingerprint: 'f1-new', since: 0 }]]),
      now: 1000,
      settleMs: 500,
      initial: false,
    });
    expect(p.unload).toEqual(['a/2']);
    expect(p.load.map((x) => x.fingerprint)).toEqual(['f1-new']);
  });
});
