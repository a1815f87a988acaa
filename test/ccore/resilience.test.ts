// Outlier detection and retries, as translated for proxyless gRPC, in a real gRPC C-core client:
// the same scenarios as test/translate-e2e/resilience.test.ts runs with grpc-js-xds.
import { describe, expect, it } from 'vitest';
import { publishPolicy } from '../translate-e2e/harness.js';
import { ejectorPolicy, flakyPolicy, scenarioWorld, untilLeftAlone } from '../translate-e2e/scenarios.js';
import { ccoreClient, closeClients, unavailable, until } from './harness.js';

const world = scenarioWorld(closeClients);
const pod = world.pod;

describe.skipIf(unavailable)('resilience with gRPC C-core', () => {
  it('ejects a failing pod by failure percentage; its share goes to the healthy pod', async () => {
    const good = await pod('v1', 'v1-good');
    const bad = await pod('v1', 'v1-bad');
    const other = await pod('v2', 'v2-only');
    bad.behaviour = 'fail';
    const fx = world.fx;
    publishPolicy(fx, ejectorPolicy(good, bad, other));
    const client = ccoreClient(fx, 'ccore-outlier');
    const warm = await client.send('ejector', { n: 100, concurrency: 4, waitForReady: true });
    expect(warm.failures).toBeGreaterThan(0);
    expect(warm.errors[0]).toMatch(/v1-bad fails on purpose/);
    await untilLeftAlone(bad, () => client.send('ejector', { n: 40, concurrency: 4 }));
    const calls = bad.calls;
    const r = await client.send('ejector', { n: 400 });
    expect(r.errors).toEqual([]);
    expect(bad.calls).toBe(calls);
    expect(r.byPod['v1-bad']).toBeUndefined();
    expect(Math.abs((r.byPod['v1-good'] ?? 0) / 400 - 0.5)).toBeLessThan(0.1);
  });

  it('hides a single failing attempt with a retry, and shows it without one', async () => {
    const flaky = await pod('v1', 'flaky');
    flaky.behaviour = 'fail-first-attempt';
    const fx = world.fx;
    const spec = (attempts: number) => flakyPolicy(flaky, attempts);
    publishPolicy(fx, spec(1));
    const client = ccoreClient(fx, 'ccore-retry');
    const withRetry = await client.send('flaky', { n: 100, concurrency: 8, waitForReady: true });
    expect(withRetry.errors).toEqual([]);
    // Every request took two attempts: the first failed, the retry answered.
    expect(flaky.calls).toBe(200);
    publishPolicy(fx, spec(0));
    await until(
      'routes without retries applied',
      async () => (await client.send('flaky', { n: 1 })).failures > 0,
    );
    const without = await client.send('flaky', { n: 50, concurrency: 8 });
    expect(without.failures).toBe(50);
    expect(without.errors[0]).toMatch(/flaky fails on purpose/);
  });
});
