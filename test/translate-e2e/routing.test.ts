// Translated policies steering real proxyless gRPC clients (@grpc/grpc-js-xds dialing
// xds:///<model>) through a real xDS server: header pinning, a weighted 3-way split, a live
// change under load without a failed RPC, residency.
// The scenarios (pods, policies) are shared with test/ccore/routing.test.ts.
import { describe, expect, it } from 'vitest';
import { xdsDemoClient } from '../helpers/xds-client.js';
import { publishPolicy, send, type Tally } from './harness.js';
import {
  liveChange,
  livePolicy,
  pinnedPolicy,
  residencyScenario,
  scenarioWorld,
  threeWayPolicy,
} from './scenarios.js';

const world = scenarioWorld();
const pod = world.pod;

describe('translated routes with grpc-js-xds', () => {
  it('pins x-cohort: beta to v2, and only that header value', async () => {
    const v1 = await pod('v1', 'pin-v1');
    const v2 = await pod('v2', 'pin-v2');
    const fx = world.fx;
    publishPolicy(fx, pinnedPolicy(v1, v2));
    const client = xdsDemoClient(fx.address, 'pinned', 'translate-pin');
    try {
      const beta = await send(client, 'pinned', 200, { 'x-cohort': 'beta' });
      const alpha = await send(client, 'pinned', 200, { 'x-cohort': 'betamax' });
      const none = await send(client, 'pinned', 200);
      expect([beta.failures, alpha.failures, none.failures]).toEqual([0, 0, 0]);
      expect(beta.byVersion).toEqual({ v2: 200 });
      expect(alpha.byVersion).toEqual({ v1: 200 });
      expect(none.byVersion).toEqual({ v1: 200 });
    } finally {
      client.close();
    }
  });

  it('splits 50/30/20 across three versions within 5 points over 3,000 RPCs', async () => {
    const [a, b, c] = await Promise.all([pod('a', 'split-a'), pod('b', 'split-b'), pod('c', 'split-c')]);
    const fx = world.fx;
    publishPolicy(fx, threeWayPolicy(a!, b!, c!));
    const client = xdsDemoClient(fx.address, 'three', 'translate-split');
    try {
      const r = await send(client, 'three', 3000, undefined, 32);
      expect(r.failures).toBe(0);
      const share = (v: string) => (r.byVersion[v] ?? 0) / 3000;
      expect(Math.abs(share('a') - 0.5)).toBeLessThan(0.05);
      expect(Math.abs(share('b') - 0.3)).toBeLessThan(0.05);
      expect(Math.abs(share('c') - 0.2)).toBeLessThan(0.05);
    } finally {
      client.close();
    }
  });

  it('moves all traffic from v1 to v2 under load without one failed RPC', async () => {
    const v1 = await pod('v1', 'live-v1');
    const v2 = await pod('v2', 'live-v2');
    const fx = world.fx;
    publishPolicy(fx, livePolicy(v1, v2, 100, 0));
    const client = xdsDemoClient(fx.address, 'live', 'translate-live');
    let running = true;
    const tallies: Tally[] = [];
    try {
      expect((await send(client, 'live', 20)).byVersion).toEqual({ v1: 20 });
      // Eight callers without pause until the change is done.
      const load = (async () => {
        while (running) tallies.push(await send(client, 'live', 40, undefined, 8));
      })();
      await liveChange(fx, v1, v2).finally(() => {
        running = false;
      });
      await load;
    } finally {
      running = false;
      client.close();
    }
    expect(tallies.flatMap((t) => t.errors)).toEqual([]);
    expect(tallies.reduce((n, t) => n + t.failures, 0)).toBe(0);
    const served = (v: string) => tallies.reduce((n, t) => n + (t.byVersion[v] ?? 0), 0);
    expect(served('v1')).toBeGreaterThan(200);
    expect(served('v2')).toBeGreaterThan(200);
  });

  it('keeps traffic inside the allowed regions, and fails closed when none is left', async () => {
    const north = await pod('v1', 'north', '127.0.0.1');
    const south = await pod('v1', 'south', '127.0.0.1');
    const foreign = await pod('v1', 'foreign', '127.0.0.2');
    const fx = world.fx;
    const { yaml, endpoints } = residencyScenario(north, south, foreign);
    publishPolicy(fx, yaml, endpoints);
    const resident = xdsDemoClient(fx.address, 'resident', 'translate-resident');
    const stranded = xdsDemoClient(fx.address, 'stranded', 'translate-stranded');
    try {
      const r = await send(resident, 'resident', 300);
      expect(r.failures).toBe(0);
      expect(Object.keys(r.byPod).sort()).toEqual(['north', 'south']);
      const s = await send(stranded, 'stranded', 20, undefined, 4);
      expect(s.failures).toBe(20);
      expect(s.errors[0]).toMatch(/^14 UNAVAILABLE/);
      expect(foreign.calls).toBe(0);
    } finally {
      resident.close();
      stranded.close();
    }
  });
});
