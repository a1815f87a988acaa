// Outlier detection and retries, as translated for proxyless gRPC, doing their job in a real
// grpc-js-xds client: a failing pod is ejected (failure percentage) and its share goes to the
// healthy pod, also in a pool of three under the policy defaults; retries hide a single failing attempt, and without them the failures show.
// The ejector and retry scenarios (pods, policies) are shared with test/ccore/resilience.test.ts.
import { describe, expect, it } from 'vitest';
import { xdsDemoClient } from '../helpers/xds-client.js';
import { policy, publishPolicy, send } from './harness.js';
import { ejectorPolicy, flakyPolicy, scenarioWorld, untilLeftAlone } from './scenarios.js';

const world = scenarioWorld();
const pod = world.pod;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('resilience with grpc-js-xds', () => {
  it('ejects a failing pod by failure percentage; its share goes to the healthy pod', async () => {
    const good = await pod('v1', 'v1-good');
    const bad = await pod('v1', 'v1-bad');
    const other = await pod('v2', 'v2-only');
    bad.behaviour = 'fail';
    const fx = world.fx;
    publishPolicy(fx, ejectorPolicy(good, bad, other));
    const client = xdsDemoClient(fx.address, 'ejector', 'translate-outlier');
    try {
      // Before ejection the bad pod answers some calls with errors.
      const warm = await send(client, 'ejector', 100, undefined, 4);
      expect(warm.failures).toBeGreaterThan(0);
      await untilLeftAlone(bad, () => send(client, 'ejector', 40, undefined, 4), 10_000);
      const calls = bad.calls;
      const r = await send(client, 'ejector', 400);
      expect(r.failures).toBe(0);
      expect(bad.calls).toBe(calls);
      expect(r.byPod['v1-bad']).toBeUndefined();
      // v1 keeps its half of the traffic, now all on the healthy pod.
      expect(Math.abs((r.byPod['v1-good'] ?? 0) / 400 - 0.5)).toBeLessThan(0.1);
    } finally {
      client.close();
    }
  });

  it('ejects one failing pod of three with the policy defaults (minimum hosts, max ejection percent)', async () => {
    const ok = [await pod('v1', 'trio-a'), await pod('v1', 'trio-b')];
    const bad = await pod('v1', 'trio-bad');
    bad.behaviour = 'fail';
    const eps = [...ok, bad].map((p) => `{ address: 127.0.0.1, port: ${p.port} }`).join(', ');
    // Only the detector, its volume and interval are set: failurePercentageMinimumHosts and
    // maxEjectionPercent (10) keep their defaults, which must still eject 1 of 3.
    const fx = world.fx;
    publishPolicy(
      fx,
      policy(
        'trio',
        `versions: [{ name: v1, endpoints: [${eps}] }]
retries: { attempts: 0 }
outlierDetection: { failurePercentageThreshold: 50, failurePercentageRequestVolume: 5, interval: 500ms }`,
      ),
    );
    const client = xdsDemoClient(fx.address, 'trio', 'translate-outlier-trio');
    try {
      const warm = await send(client, 'trio', 60, undefined, 4);
      expect(warm.failures).toBeGreaterThan(0);
      await untilLeftAlone(bad, () => send(client, 'trio', 30, undefined, 4), 10_000);
      const r = await send(client, 'trio', 300);
      expect(r.failures).toBe(0);
      expect(r.byPod['trio-bad']).toBeUndefined();
      expect((r.byPod['trio-a'] ?? 0) + (r.byPod['trio-b'] ?? 0)).toBe(300);
    } finally {
      client.close();
    }
  });

  it('hides a single failing attempt with a retry, and shows it without one', async () => {
    const flaky = await pod('v1', 'flaky');
    flaky.behaviour = 'fail-first-attempt';
    const fx = world.fx;
    const spec = (attempts: number) => flakyPolicy(flaky, attempts);
    publishPolicy(fx, spec(1));
    const client = xdsDemoClient(fx.address, 'flaky', 'translate-retry');
    try {
      const withRetry = await send(client, 'flaky', 100, undefined, 8);
      expect(withRetry.failures).toBe(0);
      // Every request took two attempts: the first failed, the retry answered.
      expect(flaky.calls).toBe(200);
      publishPolicy(fx, spec(0));
      // Wait for the client to apply the new routes: the first call that is not retried fails.
      const deadline = Date.now() + 5000;
      while ((await send(client, 'flaky', 1, undefined, 1)).failures === 0 && Date.now() < deadline)
        await sleep(50);
      const without = await send(client, 'flaky', 50, undefined, 8);
      expect(without.failures).toBe(50);
      expect(without.errors[0]).toMatch(/flaky fails on purpose/);
    } finally {
      client.close();
    }
  });
});
