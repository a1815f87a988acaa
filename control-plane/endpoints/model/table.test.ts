// The endpoint table's state machine with a fake clock: every transition of docs/ENDPOINTS.md.
import { describe, expect, it } from 'vitest';
import { EndpointTableState, type TableOptions } from './table.js';
import { hb, pod } from './testdata/table-fixtures.js';
import { utilization } from './utilization.js';

function table(opts: Partial<TableOptions> = {}) {
  return new EndpointTableState(opts);
}

const routed = (t: EndpointTableState, key = 'm/1') => t.routingTable().get(key) ?? [];
const healthOf = (t: EndpointTableState, now: number) =>
  Object.fromEntries((t.statuses(now).get('m/1') ?? []).map((s) => [s.podId, s.state]));

describe('endpoint table', () => {
  it('turns a registration into a HEALTHY endpoint of each READY version', () => {
    const t = table();
    t.register(pod('a', 9001, { versions: [{ model: 'm', version: '1', backend: 'gpu' }] }), 0);
    expect(routed(t)).toEqual([
      {
        address: '127.0.0.1',
        port: 9001,
        region: 'r',
        zone: 'z',
        health: 'HEALTHY',
        weight: 100,
        backend: 'gpu',
        podId: 'a',
      },
    ]);
  });

  it('marks the endpoints of a pod that accepts mTLS, so PERMISSIVE clusters use TLS to them', () => {
    const t = table();
    t.register(pod('a', 9001, { tls: true }), 0);
    t.register(pod('b', 9002), 0);
    expect(routed(t).map((e) => [e.podId, e.tls ?? false])).toEqual([
      ['a', true],
      ['b', false],
    ]);
  });

  it('carries the pod HTTP port for REST clusters, and republishes when only that port moves', () => {
    const t = table();
    t.register(pod('a', 9001, { httpPort: 9000 }), 0);
    t.register(pod('b', 9002), 0);
    const first = routed(t);
    expect(first.map((e) => [e.podId, e.httpPort])).toEqual([
      ['a', 9000],
      ['b', undefined],
    ]);
    t.register(pod('a', 9001, { httpPort: 9100, sequence: 2n }), 0);
    const moved = routed(t);
    expect(moved).not.toBe(first);
    expect(moved.map((e) => [e.podId, e.httpPort])).toEqual([
      ['a', 9100],
      ['b', undefined],
    ]);
  });

  it('is UNHEALTHY (out of EDS, still listed) after 3 missed intervals, HEALTHY again on a heartbeat', () => {
    const t = table();
    t.register(pod('a', 9001), 0);
    t.register(pod('b', 9002), 0);
    t.heartbeat(hb('b', 2), 2500);
    expect(t.tick(3000)).toBe(true); // changed since the registrations
    t.routingTable();
    expect(t.tick(3000)).toBe(false); // exactly 3 intervals: not yet
    t.tick(3001);
    expect(routed(t).map((e) => e.podId)).toEqual(['b']);
    expect(healthOf(t, 3001)).toEqual({ a: 'UNHEALTHY', b: 'HEALTHY' });
    expect(
      t
        .statuses(3001)
        .get('m/1')!
        .find((s) => s.podId === 'a')!.effectiveWeight,
    ).toBe(0);
    expect(t.heartbeat(hb('a', 2), 3500)).toBe('accepted');
    expect(routed(t).map((e) => e.podId)).toEqual(['a', 'b']);
  });

  it('honours a configured number of misses and the pod interval', () => {
    const t = table({ unhealthyAfterMisses: 5 });
    t.register(pod('a', 9001, { intervalMs: 200 }), 0);
    t.tick(1000);
    expect(healthOf(t, 1000)).toEqual({ a: 'HEALTHY' });
    t.tick(1001);
    expect(healthOf(t, 1001)).toEqual({ a: 'UNHEALTHY' });
  });

  it('forgets a pod after the TTL', () => {
    const t = table({ ttlMs: 10_000 });
    t.register(pod('a', 9001), 0);
    t.tick(10_000);
    expect(t.size).toBe(1);
    t.tick(10_001);
    expect(t.size).toBe(0);
    expect(t.routingTable().has('m/1')).toBe(false);
    expect(t.statuses(10_001).size).toBe(0);
  });

  it('keeps a draining pod in EDS as DRAINING and drops it on deregistration', () => {
    const t = table();
    t.register(pod('a', 9001), 0);
    expect(t.drain('a', 2n, 10)).toBe('accepted');
    expect(routed(t)[0]!.health).toBe('DRAINING');
    // Heartbeats during the drain say so too; they do not make it HEALTHY again.
    t.heartbeat(hb('a', 3, { draining: true }), 20);
    expect(routed(t)[0]!.health).toBe('DRAINING');
    expect(t.deregister('a', 4n)).toBe('accepted');
    expect(t.routingTable().has('m/1')).toBe(false);
  });

  it('freezes health while NATS is down and gives every pod a fresh grace after', () => {
    const t = table();
    t.register(pod('a', 9001), 0);
    t.freeze(500);
    t.tick(60_000); // far past both 3 intervals and the TTL
    expect(healthOf(t, 60_000)).toEqual({ a: 'HEALTHY (frozen)' });
    expect(routed(t)[0]!.health).toBe('HEALTHY');
    t.thaw(60_000);
    t.tick(62_000);
    expect(healthOf(t, 62_000)).toEqual({ a: 'HEALTHY' });
    t.tick(63_001);
    expect(healthOf(t, 63_001)).toEqual({ a: 'UNHEALTHY' });
  });

  it('drops messages older than what the pod already said, unless it restarted', () => {
    const t = table();
    t.register(pod('a', 9001, { sequence: 5n }), 0);
    expect(t.heartbeat(hb('a', 5), 10)).toBe('stale');
    expect(t.register(pod('a', 9009, { sequence: 4n }), 10)).toBe(false);
    expect(routed(t)[0]!.port).toBe(9001);
    // Same id, new start time: a new incarnation whose sequence starts again.
    expect(t.register(pod('a', 9009, { sequence: 1n, startedAtMs: 2n }), 20)).toBe(true);
    expect(routed(t)[0]!.port).toBe(9009);
  });

  it('asks for an announce on heartbeats it cannot place', () => {
    const t = table();
    expect(t.heartbeat(hb('x', 1), 0)).toBe('unknown-pod');
    t.register(pod('a', 9001), 0);
    expect(t.heartbeat(hb('a', 2, { revision: 7n }), 0)).toBe('unknown-revision');
  });

  it('follows the versions a registration lists', () => {
    const t = table();
    const v1 = { model: 'm', version: '1', backend: 'cpu' } as const;
    const v2 = { model: 'm', version: '2', backend: 'cpu' } as const;
    t.register(pod('a', 9001, { versions: [v1, v2] }), 0);
    expect([...t.routingTable().keys()].sort()).toEqual(['m/1', 'm/2']);
    t.register(pod('a', 9001, { versions: [v2], sequence: 2n, revision: 2n }), 10);
    expect([...t.routingTable().keys()]).toEqual(['m/2']);
  });

  it('keeps the array of a version that did not change (the translator memoizes on it)', () => {
    const t = table();
    t.register(pod('a', 9001), 0);
    t.register(pod('b', 9002, { versions: [{ model: 'n', version: '1', backend: 'cpu' }] }), 0);
    const first = t.routingTable();
    t.drain('b', 2n, 5);
    const second = t.routingTable();
    expect(second.get('m/1')).toBe(first.get('m/1'));
    expect(second.get('n/1')).not.toBe(first.get('n/1'));
    expect(t.routingTable()).toBe(second);
  });

  it('counts changes only when routing changes', () => {
    const t = table();
    t.register(pod('a', 9001), 0);
    t.tick(0);
    const before = t.changes;
    t.heartbeat(hb('a', 2), 100);
    t.tick(100);
    expect(t.changes).toBe(before);
  });

  it('tunes a 4x slower pod down against its peers, and an objective from the policy', () => {
    const t = table();
    for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) t.register(pod(id, 9001 + i), 0);
    for (let s = 2; s < 12; s++) {
      const now = s * 1000;
      for (const id of ['a', 'b', 'c']) t.heartbeat(hb(id, s), now);
      t.heartbeat(hb('d', s, { load: { p50Ms: 20, p99Ms: 40 } }), now);
      t.tick(now);
    }
    const weights = Object.fromEntries(routed(t).map((e) => [e.podId, e.weight]));
    expect(weights).toEqual({ a: 100, b: 100, c: 100, d: 3 });
    // A 50 ms objective: 40 ms is within it, so d regains its weight (+25 % a second at most).
    for (let s = 12; s < 40; s++) {
      t.heartbeat(hb('d', s, { load: { p99Ms: 40 } }), s * 1000);
      t.tick(s * 1000, () => 50);
    }
    expect(routed(t).find((e) => e.podId === 'd')!.weight).toBeGreaterThanOrEqual(90);
    // A 20 ms objective: its p99 of 40 ms is over it, (25 / 40)^3 of the weight remains (to
    // within the hysteresis deadband of 10 %).
    for (let s = 40; s < 52; s++) {
      t.heartbeat(hb('d', s, { load: { p99Ms: 40 } }), s * 1000);
      t.tick(s * 1000, () => 20);
    }
    expect(Math.abs(routed(t).find((e) => e.podId === 'd')!.weight! - 24)).toBeLessThanOrEqual(3);
  });

  it('returns every weight to full once the whole version is idle', () => {
    const t = table();
    t.register(pod('a', 9001), 0);
    t.register(pod('b', 9002), 0);
    let s = 2;
    for (; s < 8; s++) {
      t.heartbeat(hb('a', s), s * 1000);
      t.heartbeat(hb('b', s, { load: { p50Ms: 15 } }), s * 1000);
      t.tick(s * 1000);
    }
    expect(routed(t).find((e) => e.podId === 'b')!.weight).toBeLessThan(60);
    // Traffic stops: the windows empty out, no endpoint has evidence any more.
    for (; s < 20; s++) {
      t.heartbeat(hb('a', s, { load: { requests: 0, p50Ms: 0, p99Ms: 0 } }), s * 1000);
      t.heartbeat(hb('b', s, { load: { requests: 0, p50Ms: 0, p99Ms: 0 } }), s * 1000);
      t.tick(s * 1000);
    }
    expect(routed(t).map((e) => e.weight)).toEqual([100, 100]);
  });

  it('leaves weights out in equal mode (plain round robin)', () => {
    const t = table({ weights: 'equal' });
    t.register(pod('a', 9001), 0);
    t.heartbeat(hb('a', 2, { load: { p50Ms: 400, p99Ms: 400 } }), 100);
    t.tick(100);
    expect(routed(t)[0]!.weight).toBeUndefined();
  });

  it('overflows to CPU endpoints while the GPUs are busy, and back after the hold', () => {
    const t = table();
    const gpu = [{ model: 'm', version: '1', backend: 'gpu' }] as const;
    t.register(pod('g1', 9001, { versions: [...gpu] }), 0);
    t.register(pod('g2', 9002, { versions: [...gpu] }), 0);
    t.register(pod('c1', 9003), 0);
    const beat = (seq: number, now: number, gpuLoad: number) => {
      t.heartbeat(hb('g1', seq, { gpu: utilization(gpuLoad) }), now);
      t.heartbeat(hb('g2', seq, { gpu: utilization(gpuLoad) }), now);
      t.heartbeat(hb('c1', seq), now);
      t.tick(now);
    };
    const overflow = () => routed(t).find((e) => e.podId === 'c1')!.overflow ?? false;
    beat(2, 1000, 0.5);
    expect(overflow()).toBe(false);
    beat(3, 2000, 0.95);
    expect(overflow()).toBe(true);
    expect(
      t
        .statuses(2000)
        .get('m/1')!
        .find((s) => s.podId === 'g1')!.utilization,
    ).toBe(0.95);
    beat(4, 3000, 0.2); // below exit, inside the 3 s hold
    expect(overflow()).toBe(true);
    beat(5, 5000, 0.2);
    expect(overflow()).toBe(false);
  });
});
