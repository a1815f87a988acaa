// The endpoint table per model version: versions a pod adds or drops, the tuner state a pod keeps
// across registrations, when tuning and overflow run, and the interval figures of one version.
// Fake clock, hand-made messages (unit test of one module).
import { describe, expect, it } from 'vitest';
import type { ServedVersion } from './signals.js';
import { EndpointTableState, type TableOptions } from './table.js';
import { hb, pod } from './testdata/table-fixtures.js';
import { utilization } from './utilization.js';

const M1: ServedVersion = { model: 'm', version: '1', backend: 'cpu' };
const M2: ServedVersion = { model: 'm', version: '2', backend: 'cpu' };
const GPU: ServedVersion = { model: 'm', version: '1', backend: 'gpu' };

const weightOf = (t: EndpointTableState, id: string) =>
  (t.routingTable().get('m/1') ?? []).find((e) => e.podId === id)?.weight;

/** Four pods on m/1, d four times slower; `beats` rounds of heartbeats, each followed by a tick. */
function slowPod(beats: number, opts: Partial<TableOptions> = {}) {
  const t = new EndpointTableState(opts);
  for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) t.register(pod(id, 9001 + i), 0);
  let s = 2;
  const round = () => {
    const now = s * 1000;
    for (const id of ['a', 'b', 'c']) t.heartbeat(hb(id, s), now);
    t.heartbeat(hb('d', s, { load: { p50Ms: 20, p99Ms: 40 } }), now);
    s++;
    return t.tick(now);
  };
  for (let i = 0; i < beats; i++) round();
  return { t, round, seq: () => s };
}

describe('endpoint table versions', () => {
  it('routes a version a pod adds on a later registration', () => {
    const t = new EndpointTableState();
    t.register(pod('a', 9001, { versions: [M1] }), 0);
    expect(t.register(pod('a', 9001, { versions: [M1, M2], sequence: 2n }), 10)).toBe(true);
    expect([...t.routingTable().keys()].sort()).toEqual(['m/1', 'm/2']);
  });

  it('tunes only on ticks after a heartbeat: ticks with nothing new leave the weights alone', () => {
    const { t } = slowPod(3);
    const w = weightOf(t, 'd')!;
    expect(w).toBeLessThan(100);
    for (const now of [4100, 4200, 4300]) expect(t.tick(now)).toBe(false);
    expect(weightOf(t, 'd')).toBe(w);
  });

  it('keeps a pod tuner state across a registration that keeps the version', () => {
    const { t, seq } = slowPod(3);
    const w = weightOf(t, 'd')!;
    expect(w).toBeLessThan(100);
    t.register(pod('d', 9004, { sequence: BigInt(seq()) }), seq() * 1000);
    // Another pod drains: m/1 is published again, d with the weight it had.
    t.drain('a', BigInt(seq()), seq() * 1000);
    expect(weightOf(t, 'd')).toBe(w);
  });

  it('starts a version a pod dropped and serves again with a fresh weight', () => {
    const { t, seq } = slowPod(3);
    expect(weightOf(t, 'd')).toBeLessThan(100);
    t.register(pod('d', 9004, { versions: [M2], sequence: BigInt(seq()) }), seq() * 1000);
    expect(weightOf(t, 'd')).toBeUndefined();
    t.register(pod('d', 9004, { versions: [M1], sequence: BigInt(seq() + 1) }), seq() * 1000);
    expect(weightOf(t, 'd')).toBe(100);
  });

  it('does not tune in equal mode: a slow pod changes nothing routed', () => {
    const t = new EndpointTableState({ weights: 'equal' });
    for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) t.register(pod(id, 9001 + i), 0);
    t.routingTable();
    const before = t.changes;
    for (let s = 2; s < 8; s++) {
      for (const id of ['a', 'b', 'c']) t.heartbeat(hb(id, s), s * 1000);
      t.heartbeat(hb('d', s, { load: { p50Ms: 20, p99Ms: 40 } }), s * 1000);
      expect(t.tick(s * 1000)).toBe(false);
    }
    expect(t.changes).toBe(before);
  });

  it('ticks a version served only by GPUs (nothing to overflow to)', () => {
    const t = new EndpointTableState();
    t.register(pod('g', 9001, { versions: [GPU] }), 0);
    t.heartbeat(hb('g', 2, { gpu: utilization(0.95) }), 1000);
    t.tick(1000);
    expect(
      t
        .routingTable()
        .get('m/1')!
        .map((e) => [e.podId, e.overflow ?? false]),
    ).toEqual([['g', false]]);
  });

  it('republishes when overflow starts, even when nothing else changed', () => {
    const t = new EndpointTableState({ weights: 'equal' });
    t.register(pod('g1', 9001, { versions: [GPU] }), 0);
    t.register(pod('c1', 9002, { versions: [M1] }), 0);
    const beat = (seq: number, now: number, load: number) => {
      t.heartbeat(hb('g1', seq, { gpu: utilization(load) }), now);
      t.heartbeat(hb('c1', seq), now);
      return t.tick(now);
    };
    beat(2, 1000, 0.5);
    t.routingTable();
    expect(beat(3, 2000, 0.95)).toBe(true);
    expect(
      t
        .routingTable()
        .get('m/1')!
        .find((e) => e.podId === 'c1')!.overflow,
    ).toBe(true);
  });

  it('forgets the overflow of a version whose pods all left', () => {
    const t = new EndpointTableState({ weights: 'equal' });
    t.register(pod('g1', 9001, { versions: [GPU] }), 0);
    t.register(pod('c1', 9002, { versions: [M1] }), 0);
    t.heartbeat(hb('g1', 2, { gpu: utilization(0.95) }), 1000);
    t.heartbeat(hb('c1', 2), 1000);
    t.tick(1000);
    expect(
      t
        .routingTable()
        .get('m/1')!
        .find((e) => e.podId === 'c1')!.overflow,
    ).toBe(true);
    t.deregister('g1', 3n);
    t.deregister('c1', 3n);
    expect(t.routingTable().has('m/1')).toBe(false);
    t.register(pod('g1', 9001, { versions: [GPU], sequence: 4n }), 1100);
    t.register(pod('c1', 9002, { versions: [M1], sequence: 4n }), 1100);
    expect(
      t
        .routingTable()
        .get('m/1')!
        .map((e) => e.overflow ?? false),
    ).toEqual([false, false]);
  });

  it('gives empty figures for an unknown version and for one a heartbeat says nothing about', () => {
    const t = new EndpointTableState();
    expect(t.versionFigures('x', '1')).toMatchObject({ model: 'x', version: '1', pods: 0 });
    t.register(pod('a', 9001, { versions: [M1, M2] }), 0);
    const interval = {
      requests: 3,
      errors: 0,
      latencyBuckets: new Array<number>(13).fill(0),
      mirrorCompared: 0,
      mirrorAgreed: 0,
      mirrorAbsDiffSum: 0,
    };
    t.heartbeat(hb('a', 2, { load: { interval } }), 1000);
    expect(t.versionFigures('m', '1').pods).toBe(1);
    expect(t.versionFigures('m', '2')).toMatchObject({ model: 'm', version: '2', pods: 0 });
  });
});
