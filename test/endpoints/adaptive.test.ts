// Adaptive weights with real pods and real grpc-js-xds clients: one of four pods made 4x slower
// (its injected delay) loses most of its share within 10 s and regains it once the delay is
// gone, and the share each pod gets follows the locality weights in EDS (proof that proxyless
// gRPC honours the weights in the form the translator gives them).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../data-plane/pod.js';
import type { ControlPlaneFixture } from '../helpers/control-plane.js';
import type { NatsServer } from '../helpers/nats-server.js';
import { type EdsUpdate, EdsWatcher } from './eds-watch.js';
import {
  affineRepo,
  CLUSTER,
  MODEL,
  type ModelRepo,
  routeYaml,
  servedCounts,
  shares,
  sleep,
  startDiscoveryPlane,
  startNats,
  startPod,
} from './harness.js';
import { affineRequest, LoadGenerator, XdsInferenceClient } from './load.js';

const FAST_MS = 8;
const SLOW_MS = 4 * FAST_MS;
const IDS = ['pod-a', 'pod-b', 'pod-c', 'pod-slow'];

describe('adaptive weights: a 4x slower pod', () => {
  let nats: NatsServer;
  let repo: ModelRepo;
  let fx: ControlPlaneFixture;
  const pods: Pod[] = [];
  let eds: EdsWatcher;
  let clients: XdsInferenceClient[];
  let load: LoadGenerator;

  beforeAll(async () => {
    nats = await startNats(IDS);
    repo = await affineRepo();
    fx = await startDiscoveryPlane(nats);
    for (const id of IDS)
      pods.push(await startPod(nats, repo, id, { injectDelayMs: id === 'pod-slow' ? SLOW_MS : FAST_MS }));
    eds = new EdsWatcher(fx.xdsAddress, CLUSTER);
    await eds.waitFor('four endpoints', (u) => u.endpoints.length === 4);
    clients = [0, 1].map((i) => new XdsInferenceClient(fx.xdsAddress, MODEL, `adaptive-${i}`));
  });

  afterAll(async () => {
    await load?.stop();
    for (const c of clients ?? []) c.close();
    eds?.close();
    for (const p of pods) await p.close();
    await fx?.close();
    await repo?.cleanup();
    await nats?.cleanup();
  });

  const slowShare = (u: EdsUpdate) => {
    const total = u.endpoints.reduce((n, e) => n + e.weight, 0);
    return u.endpoints.find((e) => e.subZone === 'pod-slow')!.weight / total;
  };

  /** Served shares over the next `ms`. */
  async function measure(ms: number): Promise<number[]> {
    const before = servedCounts(pods);
    await sleep(ms);
    return shares(pods, before);
  }

  it('takes most of the slow pod share within 10 s, and gives it back when the delay is removed', async () => {
    load = new LoadGenerator(clients);
    const t0 = performance.now();
    load.start(6);
    // Most of its share (25 % with equal weights) gone: under 10 % of the traffic.
    let lostAt = 0;
    let lost: number[] = [];
    while (!lostAt && performance.now() - t0 < 10_000) {
      lost = await measure(1000);
      if (lost[3]! < 0.1) lostAt = performance.now() - t0;
    }
    console.log(
      `slow pod share ${(100 * lost[3]!).toFixed(1)}% after ${(lostAt / 1000).toFixed(1)} s; ` +
        `EDS weights ${JSON.stringify(eds.latest!.endpoints.map((e) => [e.subZone, e.weight]))}`,
    );
    expect(lostAt, `slow pod still had ${(100 * lost[3]!).toFixed(1)} % after 10 s`).toBeGreaterThan(0);
    expect(lostAt).toBeLessThanOrEqual(10_000);

    // grpc-js-xds honours the weights: the served split follows the locality weights (averaged
    // over the time each set of weights was in force).
    await sleep(1000);
    const from = performance.now();
    const split = await measure(3000);
    const expected = weightShares(eds.updates, from, performance.now());
    console.log(`split ${fmt(split)} vs weights ${fmt(expected)}`);
    for (let i = 0; i < IDS.length; i++) expect(Math.abs(split[i]! - expected[i]!)).toBeLessThan(0.05);

    // The delay goes away: the window empties of slow calls and the weight comes back.
    pods[3]!.setInjectDelay(FAST_MS);
    const t1 = performance.now();
    const back = await eds.waitFor(
      'the slow pod back at full weight',
      (u) => u.atMs > t1 && slowShare(u) > 0.24,
      // Weights climb back at +25 % a second at most: from a few percent, about 15 s.
      40_000,
    );
    const regained = await measure(2000);
    console.log(
      `weight back after ${((back.atMs - t1) / 1000).toFixed(1)} s; share now ${(100 * regained[3]!).toFixed(1)}%`,
    );
    expect(regained[3]!).toBeGreaterThan(0.18);
    const calls = await load.stop();
    expect(calls.filter((c) => c.code !== null)).toEqual([]);
  });

  it('splits by static endpoint weights too (3:1), each endpoint in a locality of its own', async () => {
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
    for (let i = 0; i < 200; i++) await Promise.all([0, 1, 2, 3].map(() => client.infer(affineRequest())));
    client.close();
    const split = shares(pods, before);
    console.log(`static 3:1 split ${fmt(split)}`);
    expect(Math.abs(split[0]! - 0.75)).toBeLessThan(0.05);
    expect(split[0]! + split[1]!).toBe(1);
  });
});

/** Each pod's share of the total weight, averaged over [fromMs, toMs) by time in force. */
function weightShares(updates: readonly EdsUpdate[], fromMs: number, toMs: number): number[] {
  const acc = IDS.map(() => 0);
  for (let i = 0; i < updates.length; i++) {
    const start = Math.max(fromMs, updates[i]!.atMs);
    const end = Math.min(toMs, updates[i + 1]?.atMs ?? toMs);
    if (end <= start) continue;
    const eps = updates[i]!.endpoints;
    const total = eps.reduce((n, e) => n + e.weight, 0);
    IDS.forEach((id, k) => {
      acc[k]! += ((end - start) * (eps.find((e) => e.subZone === id)?.weight ?? 0)) / total;
    });
  }
  return acc.map((x) => x / (toMs - fromMs));
}

function fmt(xs: readonly number[]): string {
  return xs.map((x) => `${(100 * x).toFixed(1)}%`).join(' / ');
}
