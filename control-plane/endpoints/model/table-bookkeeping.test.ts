// The endpoint table's bookkeeping beside its state machine (table.test.ts): the figures the
// runner reads (state counts, changed, changes, frozen), which messages count, what moves an
// endpoint, and ageing without tuning. Fake clock, hand-made messages.
import { describe, expect, it } from 'vitest';
import { EndpointTableState } from './table.js';
import { hb, pod } from './testdata/table-fixtures.js';

const routed = (t: EndpointTableState, key = 'm/1') => t.routingTable().get(key) ?? [];
const healthOf = (t: EndpointTableState, now: number) =>
  Object.fromEntries((t.statuses(now).get('m/1') ?? []).map((s) => [s.podId, s.state]));

describe('endpoint table bookkeeping', () => {
  it('counts endpoints (pod x version) by state for the gauge', () => {
    const t = new EndpointTableState();
    expect(t.stateCounts()).toEqual({ HEALTHY: 0, UNHEALTHY: 0, DRAINING: 0 });
    const two = [
      { model: 'm', version: '1', backend: 'cpu' },
      { model: 'm', version: '2', backend: 'cpu' },
    ] as const;
    t.register(pod('a', 9001, { versions: [...two] }), 0);
    t.register(pod('b', 9002, { draining: true }), 0);
    t.register(pod('c', 9003), 0);
    t.register(pod('e', 9004), 0);
    for (const id of ['a', 'e']) t.heartbeat(hb(id, 2), 2000);
    t.heartbeat(hb('b', 2, { draining: true }), 2000);
    t.tick(3001); // c has been silent for more than 3 intervals
    // Two HEALTHY pods add up: a's two versions and e's one.
    expect(t.stateCounts()).toEqual({ HEALTHY: 3, UNHEALTHY: 1, DRAINING: 1 });
    expect(healthOf(t, 3001)).toEqual({ a: 'HEALTHY', b: 'DRAINING', c: 'UNHEALTHY', e: 'HEALTHY' });
  });

  it('says which pods it holds, whether routing changed, and counts each change', () => {
    const t = new EndpointTableState();
    expect(t.has('a')).toBe(false);
    expect(t.changed).toBe(false);
    expect(t.changes).toBe(0);
    expect(t.register(pod('a', 9001), 0)).toBe(true);
    expect(t.has('a')).toBe(true);
    expect(t.has('b')).toBe(false);
    expect(t.changed).toBe(true);
    const afterJoin = t.changes;
    expect(afterJoin).toBeGreaterThan(0);
    t.routingTable();
    expect(t.changed).toBe(false);
    // A heartbeat that changes nothing routed is no change.
    t.heartbeat(hb('a', 2), 100);
    expect(t.changed).toBe(false);
    expect(t.changes).toBe(afterJoin);
    t.drain('a', 3n, 200);
    expect(t.changed).toBe(true);
    expect(t.changes).toBe(afterJoin + 1);
  });

  it('reports frozen from freeze() until thaw()', () => {
    const t = new EndpointTableState();
    expect(t.frozen).toBe(false);
    t.freeze(0);
    expect(t.frozen).toBe(true);
    t.thaw(10);
    expect(t.frozen).toBe(false);
  });

  it('gives no fresh grace on a thaw without a freeze', () => {
    const t = new EndpointTableState();
    t.register(pod('a', 9001), 0);
    t.thaw(2500);
    t.tick(3001);
    expect(healthOf(t, 3001)).toEqual({ a: 'UNHEALTHY' });
  });

  it('refuses a registration that repeats the sequence it already has', () => {
    const t = new EndpointTableState();
    t.register(pod('a', 9001, { sequence: 5n }), 0);
    expect(t.register(pod('a', 9009, { sequence: 5n }), 10)).toBe(false);
    expect(routed(t)[0]!.port).toBe(9001);
    expect(t.register(pod('a', 9009, { sequence: 6n }), 10)).toBe(true);
    expect(routed(t)[0]!.port).toBe(9009);
  });

  it('takes a drain or a deregistration only from a known pod, and only when newer', () => {
    const t = new EndpointTableState();
    expect(t.drain('x', 1n, 0)).toBe('unknown-pod');
    expect(t.deregister('x', 1n)).toBe('unknown-pod');
    t.register(pod('a', 9001, { sequence: 5n }), 0);
    expect(t.drain('a', 5n, 10)).toBe('stale');
    expect(routed(t)[0]!.health).toBe('HEALTHY');
    expect(t.deregister('a', 5n)).toBe('stale');
    expect(t.has('a')).toBe(true);
    expect(t.drain('a', 6n, 10)).toBe('accepted');
    expect(routed(t)[0]!.health).toBe('DRAINING');
    // The drain's sequence is now the pod's: the same number again is stale.
    expect(t.drain('a', 6n, 20)).toBe('stale');
    expect(t.heartbeat(hb('a', 6), 20)).toBe('stale');
    expect(t.deregister('a', 6n)).toBe('stale');
    expect(t.deregister('a', 7n)).toBe('accepted');
    expect(t.has('a')).toBe(false);
    expect(t.size).toBe(0);
  });

  it('records the sequence of an accepted heartbeat, so a repeat of it is stale', () => {
    const t = new EndpointTableState();
    t.register(pod('a', 9001), 0);
    expect(t.heartbeat(hb('a', 2), 10)).toBe('accepted');
    expect(t.heartbeat(hb('a', 2), 20)).toBe('stale');
    expect(t.heartbeat(hb('a', 3), 30)).toBe('accepted');
  });

  it('registers a pod that says it drains as DRAINING', () => {
    const t = new EndpointTableState();
    t.register(pod('a', 9001, { draining: true }), 0);
    expect(routed(t)[0]!.health).toBe('DRAINING');
    t.register(pod('a', 9001, { sequence: 2n }), 10);
    expect(routed(t)[0]!.health).toBe('HEALTHY');
    t.register(pod('a', 9001, { sequence: 3n, draining: true }), 20);
    expect(routed(t)[0]!.health).toBe('DRAINING');
  });

  it('republishes a version when the pod address, or the version backend or own port, moves', () => {
    const t = new EndpointTableState();
    t.register(pod('a', 9001), 0);
    const first = routed(t);
    t.register(pod('a', 9001, { address: '10.0.0.2', sequence: 2n }), 10);
    const moved = routed(t);
    expect(moved).not.toBe(first);
    expect(moved[0]!.address).toBe('10.0.0.2');
    t.register(
      pod('a', 9001, {
        address: '10.0.0.2',
        sequence: 3n,
        versions: [{ model: 'm', version: '1', backend: 'gpu' }],
      }),
      20,
    );
    const onGpu = routed(t);
    expect(onGpu).not.toBe(moved);
    expect(onGpu[0]!.backend).toBe('gpu');
    t.register(
      pod('a', 9001, {
        address: '10.0.0.2',
        sequence: 4n,
        versions: [{ model: 'm', version: '1', backend: 'gpu', port: 9500 }],
      }),
      30,
    );
    const ownPort = routed(t);
    expect(ownPort).not.toBe(onGpu);
    expect(ownPort[0]!.port).toBe(9500);
    // The same registration again (a newer sequence, nothing moved): the very same array.
    t.register(
      pod('a', 9001, {
        address: '10.0.0.2',
        sequence: 5n,
        versions: [{ model: 'm', version: '1', backend: 'gpu', port: 9500 }],
      }),
      40,
    );
    expect(routed(t)).toBe(ownPort);
  });

  it('uses the default interval for a pod that does not say its own', () => {
    const t = new EndpointTableState({ defaultIntervalMs: 2000 });
    t.register(pod('a', 9001, { intervalMs: 0 }), 0);
    t.tick(6000);
    expect(healthOf(t, 6000)).toEqual({ a: 'HEALTHY' });
    t.tick(6001);
    expect(healthOf(t, 6001)).toEqual({ a: 'UNHEALTHY' });
  });

  it('leaves a version whose pods are all UNHEALTHY out of the routing table', () => {
    const t = new EndpointTableState();
    t.register(pod('a', 9001), 0);
    expect(t.routingTable().has('m/1')).toBe(true);
    expect(t.tick(3001)).toBe(true);
    expect(t.routingTable().has('m/1')).toBe(false);
    expect(t.statuses(3001).get('m/1')).toHaveLength(1);
  });

  it('ages pods without tuning when asked not to tune', () => {
    const t = new EndpointTableState();
    for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) t.register(pod(id, 9001 + i), 0);
    t.routingTable();
    for (let s = 2; s < 12; s++) {
      const now = s * 1000;
      for (const id of ['a', 'b', 'c']) t.heartbeat(hb(id, s), now);
      t.heartbeat(hb('d', s, { load: { p50Ms: 20, p99Ms: 40 } }), now);
      expect(t.tick(now, () => undefined, false)).toBe(false);
    }
    expect(routed(t).map((e) => e.weight)).toEqual([100, 100, 100, 100]);
    // The heartbeats are remembered: the next tuning tick acts on them.
    expect(t.tick(12_000)).toBe(true);
    expect(routed(t).find((e) => e.podId === 'd')!.weight).toBeLessThan(100);
    // Ageing still happens without tuning.
    t.tick(15_001, () => undefined, false);
    expect(routed(t)).toEqual([]);
  });
});
