// Adaptive weights with real pods and real grpc-js-xds clients: one of four pods made 4x slower
// (its injected delay) loses most of its share within 10 s and regains it once the delay is
// gone, and the share each pod gets follows the locality weights in EDS (proof that proxyless
// gRPC honours the weights in the form the translator gives them). The scenario is shared with
// gRPC C-core (test/ccore/adaptive.test.ts).
import { describe, expect, it } from 'vitest';
import {
  adaptiveWorld,
  FAST_MS,
  fmt,
  IDS,
  measure,
  SLOW,
  slowShare,
  weightShares,
} from './adaptive-scenario.js';
import { MODEL, routeYaml, servedCounts, shares, sleep } from './harness.js';
import { affineRequest, LoadGenerator, XdsInferenceClient } from './load.js';

describe('adaptive weights: a 4x slower pod', () => {
  let clients: XdsInferenceClient[] = [];
  let load: LoadGenerator | undefined;
  const world = adaptiveWorld(async () => {
    await load?.stop();
    for (const c of clients) c.close();
  });

  it('takes most of the slow pod share within 10 s, and gives it back when the delay is removed', async () => {
    const { pods, eds, fx } = world;
    clients = [0, 1].map((i) => new XdsInferenceClient(fx.xdsAddress, MODEL, `adaptive-${i}`));
    load = new LoadGenerator(clients);
    const t0 = performance.now();
    load.start(6);
    // Most of its share (25 % with equal weights) gone: under 10 % of the traffic.
    let lostAt = 0;
    let lost: number[] = [];
    while (!lostAt && performance.now() - t0 < 10_000) {
      lost = await measure(pods, 1000);
      if (lost[SLOW]! < 0.1) lostAt = performance.now() - t0;
    }
    console.log(
      `slow pod share ${(100 * lost[SLOW]!).toFixed(1)}% after ${(lostAt / 1000).toFixed(1)} s; ` +
        `EDS weights ${JSON.stringify(eds.latest!.endpoints.map((e) => [e.subZone, e.weight]))}`,
    );
    expect(lostAt, `slow pod still had ${(100 * lost[SLOW]!).toFixed(1)} % after 10 s`).toBeGreaterThan(0);
    expect(lostAt).toBeLessThanOrEqual(10_000);

    // grpc-js-xds honours the weights: the served split follows the locality weights (averaged
    // over the time each set of weights was in force).
    await sleep(1000);
    const from = performance.now();
    // Six seconds: the weights move every half second and the clients apply each update a
    // little after this process sees it; a longer window makes that lag a smaller part of it.
    const split = await measure(pods, 6000);
    const expected = weightShares(eds.updates, from, performance.now());
    console.log(`split ${fmt(split)} vs weights ${fmt(expected)}`);
    for (let i = 0; i < IDS.length; i++) expect(Math.abs(split[i]! - expected[i]!)).toBeLessThan(0.05);

    // The delay goes away: the window empties of slow calls and the weight comes back.
    pods[SLOW]!.setInjectDelay(FAST_MS);
    const t1 = performance.now();
    const back = await eds.waitFor(
      'the slow pod back at full weight',
      (u) => u.atMs > t1 && slowShare(u) > 0.24,
      // Weights climb back at +25 % a second at most: from a few percent, about 15 s.
      40_000,
    );
    // 3 s of calls: at about a quarter of the traffic, 2 s left a chance share under 0.18 too likely.
    const regained = await measure(pods, 3000);
    console.log(
      `weight back after ${((back.atMs - t1) / 1000).toFixed(1)} s; share now ${(100 * regained[SLOW]!).toFixed(1)}%`,
    );
    expect(regained[SLOW]!).toBeGreaterThan(0.18);
    const calls = await load.stop();
    load = undefined;
    expect(calls.filter((c) => c.code !== null)).toEqual([]);
  });

  it('splits by static endpoint weights too (3:1), each endpoint in a locality of its own', async () => {
    const { pods, eds, fx } = world;
    const [a, b] = [pods[0]!, pods[1]!];
    fx.write(
      'affine.yaml',
      routeYaml(
        '',
        `  versions:
    - name: "1"
      endpoints:
        - { address: 127.0.0.1, port: ${a.ports.grpc}, weight: 3 }
        - { address: 127.0.0.1, port: ${b.ports.grpc}, weight: 1 }`,
      ),
    );
    await eds.waitFor(
      'static weights',
      (u) => u.endpoints.length === 2 && u.endpoints.some((e) => e.weight === 3),
    );
    const client = new XdsInferenceClient(fx.xdsAddress, MODEL, 'static-weights');
    expect(await client.infer(affineRequest())).toBeNull();
    await sleep(300);
    const before = servedCounts(pods);
    // The client picks a locality at random: over 800 calls a share off 0.75 by 0.05 came about
    // once in 800 runs (3.3 standard deviations). 1,200 calls and 0.065 make it 5.2, and still
    // tell 3:1 from 2:1 (0.667). The pods answer about 140 calls a second, so more calls cost
    // seconds.
    for (let i = 0; i < 300; i++) await Promise.all([0, 1, 2, 3].map(() => client.infer(affineRequest())));
    client.close();
    const split = shares(pods, before);
    console.log(`static 3:1 split ${fmt(split)}`);
    expect(Math.abs(split[0]! - 0.75)).toBeLessThan(0.065);
    expect(split[0]! + split[1]!).toBe(1);
  });
});
