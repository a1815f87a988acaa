// Translated policies steering a real gRPC C-core client (python3-grpcio dialing xds:///<model>),
// the same scenarios test/translate-e2e/routing.test.ts runs with grpc-js-xds: header pinning
// (the deprecated header matcher fields C-core 1.51 reads), a weighted split, residency and a
// live change under load without a failed RPC.
import { describe, expect, it } from 'vitest';
import { publishPolicy } from '../translate-e2e/harness.js';
import {
  liveChange,
  livePolicy,
  pinnedPolicy,
  residencyScenario,
  scenarioWorld,
  threeWayPolicy,
} from '../translate-e2e/scenarios.js';
import { CCORE_GROUP, ccoreClient, closeClients, unavailable } from './harness.js';

const world = scenarioWorld(closeClients);
const pod = world.pod;

describe.skipIf(unavailable)('translated routes with gRPC C-core', () => {
  it('pins x-cohort: beta to v2, and only that header value', async () => {
    const v1 = await pod('v1', 'pin-v1');
    const v2 = await pod('v2', 'pin-v2');
    const fx = world.fx;
    publishPolicy(fx, pinnedPolicy(v1, v2, { goldTier: true }));
    const client = ccoreClient(fx, 'ccore-pin');
    // The first call waits for the channel to resolve; a NACKed route fails the ones after fast.
    await client.send('pinned', { n: 1, waitForReady: true, timeout: 10 });
    const beta = await client.send('pinned', { n: 200, headers: { 'x-cohort': 'beta' } });
    const alpha = await client.send('pinned', { n: 200, headers: { 'x-cohort': 'betamax' } });
    const gold = await client.send('pinned', { n: 100, headers: { 'x-tier': 'golden' } });
    const none = await client.send('pinned', { n: 200 });
    expect([beta.errors, alpha.errors, gold.errors, none.errors]).toEqual([[], [], [], []]);
    expect(beta.byVersion).toEqual({ v2: 200 });
    expect(alpha.byVersion).toEqual({ v1: 200 });
    expect(gold.byVersion).toEqual({ v2: 100 });
    expect(none.byVersion).toEqual({ v1: 200 });
    expect(fx.events.filter((e) => e.kind === 'nack')).toEqual([]);
    const [status] = fx.registry.list().filter((p) => p.nodeId === 'ccore-pin');
    expect(status!.client.family).toBe('c-core');
    expect(status!.group).toBe(CCORE_GROUP);
  });

  it('splits 50/30/20 across three versions within 5 points over 2,000 RPCs', async () => {
    const [a, b, c] = await Promise.all([pod('a', 'split-a'), pod('b', 'split-b'), pod('c', 'split-c')]);
    const fx = world.fx;
    publishPolicy(fx, threeWayPolicy(a!, b!, c!));
    const client = ccoreClient(fx, 'ccore-split');
    const r = await client.send('three', { n: 2000, concurrency: 32, waitForReady: true });
    expect(r.errors).toEqual([]);
    const share = (v: string) => (r.byVersion[v] ?? 0) / 2000;
    expect(Math.abs(share('a') - 0.5)).toBeLessThan(0.05);
    expect(Math.abs(share('b') - 0.3)).toBeLessThan(0.05);
    expect(Math.abs(share('c') - 0.2)).toBeLessThan(0.05);
  });

  it('moves all traffic from v1 to v2 under load without one failed RPC', async () => {
    const v1 = await pod('v1', 'live-v1');
    const v2 = await pod('v2', 'live-v2');
    const fx = world.fx;
    publishPolicy(fx, livePolicy(v1, v2, 100, 0));
    const client = ccoreClient(fx, 'ccore-live');
    expect((await client.send('live', { n: 20, waitForReady: true })).byVersion).toEqual({ v1: 20 });
    await client.start('live', 8);
    await liveChange(fx, v1, v2);
    const tally = await client.stop();
    expect(tally.errors).toEqual([]);
    expect(tally.failures).toBe(0);
    expect(tally.byVersion.v1).toBeGreaterThan(200);
    expect(tally.byVersion.v2).toBeGreaterThan(200);
  });

  it('keeps traffic inside the allowed regions, and fails closed when none is left', async () => {
    const north = await pod('v1', 'north', '127.0.0.1');
    const south = await pod('v1', 'south', '127.0.0.1');
    const foreign = await pod('v1', 'foreign', '127.0.0.2');
    const fx = world.fx;
    const { yaml, endpoints } = residencyScenario(north, south, foreign);
    publishPolicy(fx, yaml, endpoints);
    const client = ccoreClient(fx, 'ccore-resident');
    const r = await client.send('resident', { n: 300, waitForReady: true });
    expect(r.errors).toEqual([]);
    expect(Object.keys(r.byPod).sort()).toEqual(['north', 'south']);
    const s = await client.send('stranded', { n: 20, concurrency: 4, timeout: 2 });
    expect(s.failures).toBe(20);
    expect(s.errors[0]).toMatch(/^UNAVAILABLE|^DEADLINE_EXCEEDED/);
    expect(foreign.calls).toBe(0);
  });
});
