import { describe, expect, it } from 'vitest';
import { SIZE_FACTOR } from './memory.js';
import { place } from './placer.js';
import type { DemandedVersion, LoadedVersion, ManagedPod, PlacementInput } from './types.js';

const Mi = 1024 * 1024;

function version(key: string, over: Partial<DemandedVersion> = {}): DemandedVersion {
  const [model, v] = key.split('.') as [string, string];
  return {
    key,
    model,
    version: v,
    min: 1,
    max: 1,
    desired: 1,
    device: 'any',
    regions: [],
    sizeBytes: 10 * Mi,
    ...over,
  };
}

function pod(
  podId: string,
  over: Partial<ManagedPod> & { has?: Record<string, LoadedVersion> } = {},
): ManagedPod {
  const { has, ...rest } = over;
  return {
    podId,
    region: 'eu-west',
    zone: 'a',
    device: 'cpu',
    memoryLimitBytes: 1024 * Mi,
    load: 0,
    draining: false,
    loaded: new Map(Object.entries(has ?? {})),
    ...rest,
  };
}

function input(
  versions: DemandedVersion[],
  pods: ManagedPod[],
  current: Record<string, string[]> = {},
): PlacementInput {
  return { versions, pods, current: new Map(Object.entries(current).map(([k, v]) => [k, new Set(v)])) };
}

describe('place', () => {
  it('spreads replicas across zones before doubling up in one', () => {
    const pods = [
      pod('p1', { zone: 'a' }),
      pod('p2', { zone: 'a' }),
      pod('p3', { zone: 'b' }),
      pod('p4', { zone: 'c' }),
    ];
    const r = place(input([version('fraud.2', { min: 3, max: 3, desired: 3 })], pods));
    const zones = r.versions[0]!.assigned.map((id) => pods.find((p) => p.podId === id)!.zone).sort();
    expect(zones).toEqual(['a', 'b', 'c']);
    expect(r.versions[0]!.unplaced).toBeUndefined();
  });

  it('spreads versions over pods: the least filled pod takes the next one', () => {
    const versions = ['a.1', 'b.1', 'c.1', 'd.1'].map((k) => version(k));
    const r = place(input(versions, [pod('p1'), pod('p2')]));
    expect(r.assignments.get('p1')!.length).toBe(2);
    expect(r.assignments.get('p2')!.length).toBe(2);
  });

  it('refuses a pod without the memory, and says how much was needed and free', () => {
    const r = place(
      input(
        [version('big.1', { sizeBytes: 600 * Mi })],
        [
          pod('p1', { memoryLimitBytes: 512 * Mi }),
          pod('p2', { memoryLimitBytes: 2048 * Mi, has: { 'x.1': { ready: true, memoryBytes: 1500 * Mi } } }),
        ],
      ),
    );
    expect(r.versions[0]!.assigned).toEqual([]);
    expect(r.versions[0]!.unplaced).toMatchObject({
      reason: 'memory',
      missing: 1,
      pods: { p1: 'memory 900Mi > free 512Mi', p2: 'memory 900Mi > free 548Mi' },
    });
    expect(600 * SIZE_FACTOR).toBe(900);
  });

  it('uses measured memory over the size estimate once a pod reports it', () => {
    // 600Mi artifact: 900Mi estimated, which does not fit 512Mi; measured at 300Mi elsewhere, it does.
    const v = version('big.1', { sizeBytes: 600 * Mi, min: 2, max: 2, desired: 2 });
    const pods = [
      pod('p1', { memoryLimitBytes: 512 * Mi }),
      pod('p2', { has: { 'big.1': { ready: true, memoryBytes: 300 * Mi } } }),
    ];
    const r = place(input([v], pods, { p2: ['big.1'] }));
    expect(r.versions[0]!.assigned).toEqual(['p1', 'p2']);
    expect(r.versions[0]!.ready).toEqual(['p2']);
  });

  it('keeps versions to their device and regions, with a reason per pod', () => {
    const pods = [
      pod('cpu-eu'),
      pod('gpu-ae', { device: 'gpu', region: 'ae-north' }),
      pod('gpu-eu', { device: 'gpu' }),
    ];
    const r = place(
      input([version('g.1', { device: 'gpu', regions: ['ae-north'], min: 2, max: 2, desired: 2 })], pods),
    );
    expect(r.versions[0]!.assigned).toEqual(['gpu-ae']);
    expect(r.versions[0]!.unplaced).toEqual({
      reason: 'region',
      missing: 1,
      message: '1 of 2 replica(s) placed; 3 managed pod(s), none other fits',
      pods: { 'cpu-eu': 'region eu-west not in [ae-north]', 'gpu-eu': 'region eu-west not in [ae-north]' },
    });
    const cpu = place(input([version('c.1', { device: 'cpu', min: 2, max: 2, desired: 2 })], pods.slice(1)));
    expect(cpu.versions[0]!.unplaced!.pods).toEqual({
      'gpu-ae': 'device gpu, version needs cpu',
      'gpu-eu': 'device gpu, version needs cpu',
    });
    expect(cpu.versions[0]!.unplaced!.reason).toBe('device');
  });

  it('says "already holds a replica" is no reason: too few pods for the replicas asked', () => {
    const r = place(input([version('a.1', { min: 3, max: 3, desired: 3 })], [pod('p1'), pod('p2')]));
    expect(r.versions[0]!.assigned).toEqual(['p1', 'p2']);
    expect(r.versions[0]!.unplaced).toMatchObject({ reason: 'too-few-pods', missing: 1, pods: {} });
    expect(place(input([version('a.1')], [])).versions[0]!.unplaced!.reason).toBe('no-managed-pods');
  });

  it('is stable: a new pod or version does not move replicas that are fine', () => {
    const before = place(input([version('a.1'), version('b.1')], [pod('p1'), pod('p2')]));
    const current = Object.fromEntries([...before.assignments].map(([k, v]) => [k, [...v]]));
    const after = place(
      input([version('a.1'), version('b.1'), version('c.1')], [pod('p0'), pod('p1'), pod('p2')], current),
    );
    for (const [id, keys] of before.assignments)
      for (const k of keys) expect(after.assignments.get(id)).toContain(k);
    expect(after.assignments.get('p0')).toEqual(['c.1']);
  });

  it('re-places the replicas of a pod that left, and drops those on a draining pod', () => {
    const v = version('a.1', { min: 2, max: 2, desired: 2 });
    const r = place(
      input([v], [pod('p2'), pod('p3'), pod('p4', { draining: true })], {
        p1: ['a.1'],
        p2: ['a.1'],
        p4: ['a.1'],
      }),
    );
    expect(r.versions[0]!.assigned).toEqual(['p2', 'p3']);
    expect(r.assignments.get('p4')).toEqual([]);
    expect(r.assignments.has('p1')).toBe(false);
  });

  it('follows the scaling signal within [min, max], shedding the not-ready replica first', () => {
    const pods = ['p1', 'p2', 'p3', 'p4'].map((id) => pod(id, { zone: id }));
    const up = place(input([version('a.1', { min: 1, max: 3, desired: 9 })], pods));
    expect(up.versions[0]!.assigned.length).toBe(3);
    expect(up.versions[0]!.desiredReplicas).toBe(3);
    const ready = (id: string) => pod(id, { zone: id, has: { 'a.1': { ready: true, memoryBytes: 1 } } });
    const down = place(
      input(
        [version('a.1', { min: 1, max: 3, desired: 2 })],
        [ready('p1'), pod('p2', { zone: 'p2' }), ready('p3')],
        { p1: ['a.1'], p2: ['a.1'], p3: ['a.1'] },
      ),
    );
    expect(down.versions[0]!.assigned).toEqual(['p1', 'p3']);
    expect(down.assignments.get('p2')).toEqual([]);
  });

  it('unassigns every replica of a version released to no replicas (min 0, max 0)', () => {
    const ready = (id: string) =>
      pod(id, {
        zone: id,
        has: { 'a.1': { ready: true, memoryBytes: 1 }, 'b.1': { ready: true, memoryBytes: 1 } },
      });
    const r = place(
      input(
        [version('a.1', { min: 0, max: 0, desired: 0 }), version('b.1', { min: 2, max: 2, desired: 2 })],
        [ready('p1'), ready('p2')],
        { p1: ['a.1', 'b.1'], p2: ['a.1', 'b.1'] },
      ),
    );
    expect(r.assignments.get('p1')).toEqual(['b.1']);
    expect(r.assignments.get('p2')).toEqual(['b.1']);
    expect(r.versions.find((v) => v.key === 'a.1')).toMatchObject({ assigned: [], desiredReplicas: 0 });
    expect(r.versions.find((v) => v.key === 'a.1')?.unplaced).toBeUndefined();
  });

  it('gives every version its minimum before any gets more than that', () => {
    // Room for three replicas: a.1 wants 2 (min 1), b.1 wants 1. Both get placed.
    const pods = [
      pod('p1', { memoryLimitBytes: 16 * Mi }),
      pod('p2', { memoryLimitBytes: 16 * Mi }),
      pod('p3', { memoryLimitBytes: 16 * Mi }),
    ];
    const r = place(
      input([version('a.1', { max: 3, desired: 3 }), version('b.1', { sizeBytes: 10 * Mi })], pods),
    );
    const b = r.versions.find((v) => v.key === 'b.1')!;
    expect(b.assigned.length).toBe(1);
    expect(r.versions.find((v) => v.key === 'a.1')!.assigned.length).toBe(2);
  });

  it('is deterministic whatever the order of its input', () => {
    const vs = ['a.1', 'b.1', 'c.1', 'd.1', 'e.1'].map((k, i) =>
      version(k, { sizeBytes: (i + 1) * 50 * Mi, max: 2, desired: 2 }),
    );
    const ps = ['p1', 'p2', 'p3'].map((id, i) => pod(id, { zone: `z${i % 2}` }));
    const a = place(input(vs, ps));
    const b = place(input([...vs].reverse(), [...ps].reverse()));
    expect([...b.assignments].sort()).toEqual([...a.assignments].sort());
  });

  describe('overcommit', () => {
    // Three versions of 100Mi each (measured) on one pod whose limit holds two.
    const three = ['m.1', 'm.2', 'm.3'].map((k) => version(k, { sizeBytes: 100 * Mi }));
    const limit = 300 * Mi;

    it('off (no percent): the third version is refused for memory, as before', () => {
      const r = place(input(three, [pod('p1', { memoryLimitBytes: limit })]));
      expect(r.assignments.get('p1')!.length).toBe(2);
      const unplaced = r.versions.filter((v) => v.unplaced);
      expect(unplaced).toHaveLength(1);
      expect(unplaced[0]!.unplaced!.reason).toBe('memory');
      expect(unplaced[0]!.unplaced!.pods.p1).toBe('memory 150Mi > free 0');
    });

    it('assigns beyond the limit up to the overcommit bound', () => {
      // 50 % overcommit: 450Mi may be assigned; each unmeasured version counts 150Mi (x1.5).
      const r = place(input(three, [pod('p1', { memoryLimitBytes: limit, overcommitPercent: 50 })]));
      expect(r.assignments.get('p1')).toEqual(['m.1', 'm.2', 'm.3']);
      expect(r.versions.every((v) => !v.unplaced)).toBe(true);
    });

    it('refuses past the bound, naming the limit and the percent', () => {
      const four = [...three, version('m.4', { sizeBytes: 100 * Mi })];
      const r = place(input(four, [pod('p1', { memoryLimitBytes: limit, overcommitPercent: 50 })]));
      expect(r.assignments.get('p1')!.length).toBe(3);
      const missing = r.versions.find((v) => v.unplaced)!;
      expect(missing.unplaced!.reason).toBe('memory');
      expect(missing.unplaced!.pods.p1).toBe('memory 150Mi > free 0 (limit 300Mi + 50% overcommit)');
    });

    it('counts measured memory against the bound, as without overcommit', () => {
      const has = {
        'm.1': { ready: true, memoryBytes: 200 * Mi },
        'm.2': { ready: true, memoryBytes: 200 * Mi },
      };
      const r = place(
        input(three, [pod('p1', { memoryLimitBytes: limit, overcommitPercent: 60, has })], {
          p1: ['m.1', 'm.2'],
        }),
      );
      // 400Mi held of a 480Mi bound: the third (150Mi estimated) does not fit.
      expect(r.assignments.get('p1')).toEqual(['m.1', 'm.2']);
      expect(r.versions.find((v) => v.key === 'm.3')!.unplaced!.reason).toBe('memory');
    });

    it('fills pods by their bound: an overcommitted pod takes more than a plain one', () => {
      const six = ['a.1', 'b.1', 'c.1', 'd.1', 'e.1', 'f.1'].map((k) => version(k, { sizeBytes: 100 * Mi }));
      const r = place(
        input(six, [
          pod('plain', { memoryLimitBytes: 300 * Mi }),
          pod('over', { memoryLimitBytes: 300 * Mi, overcommitPercent: 100 }),
        ]),
      );
      expect(r.assignments.get('plain')!.length).toBe(2);
      expect(r.assignments.get('over')!.length).toBe(4);
      expect(r.versions.every((v) => !v.unplaced)).toBe(true);
    });
  });
});
