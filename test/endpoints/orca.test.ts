import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../data-plane/pod.js';
import type { ControlPlaneFixture } from '../helpers/control-plane.js';
import type { NatsServer } from '../helpers/nats-server.js';
import { EdsWatcher } from './eds-watch.js';
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

const IDS = ['pod-a', 'pod-b', 'pod-c', 'pod-slow'] as const;
const SLOW = 3;
const FAST_MS = 10;

describe('ORCA load reports and client-side weighted round robin', () => {
  let nats: NatsServer | undefined;
  let repo: ModelRepo | undefined;
  let fx: ControlPlaneFixture | undefined;
  let eds: EdsWatcher | undefined;
  const pods: Pod[] = [];
  let clients: XdsInferenceClient[] = [];
  let load: LoadGenerator | undefined;

  beforeAll(async () => {
    nats = await startNats(IDS);
    repo = await affineRepo();
    fx = await startDiscoveryPlane(nats, {}, routeYaml('  proxylessBalancing: { mode: orca }'));
    for (const id of IDS)
      pods.push(await startPod(nats, repo, id, { injectDelayMs: id === 'pod-slow' ? 4 * FAST_MS : FAST_MS }));
    eds = new EdsWatcher(fx.xdsAddress, CLUSTER);
    await eds.waitFor('four endpoints', (u) => u.endpoints.length === 4);
  });
  afterAll(async () => {
    await load?.stop();
    for (const c of clients) c.close();
    eds?.close();
    for (const p of pods) await p.close();
    await fx?.close();
    await repo?.cleanup();
    await nats?.cleanup();
  });

  it('EDS keeps the pods of a zone in one locality without tuned weights (the clients weigh them)', () => {
    // One locality of four endpoints at weight 1 each (the watcher lists the locality weight).
    expect(eds!.latest!.endpoints.map((e) => [e.subZone, e.weight])).toEqual(Array(4).fill(['', 4]));
  });

  it('the 4x slower pod gets measurably less than round robin would give it, the fast pods more', async () => {
    clients = [0, 1].map((i) => new XdsInferenceClient(fx!.xdsAddress, MODEL, `orca-${i}`));
    await Promise.all(clients.map((c) => c.infer(affineRequest())));
    load = new LoadGenerator(clients);
    load.start(6);
    // Reports arrive with the first answers; a few weight updates later the split has settled.
    await sleep(3000);
    const before = servedCounts(pods);
    await sleep(8000);
    const split = shares(pods, before);
    const calls = await load.stop();
    load = undefined;
    console.log(
      `served ${split.map((s) => `${(100 * s).toFixed(1)}%`).join(' / ')} (slow last), ` +
        `${calls.filter((c) => c.code !== null).length} failed of ${calls.length}`,
    );
    expect(calls.filter((c) => c.code !== null)).toEqual([]);
    expect(eds!.latest!.endpoints.map((e) => e.weight)).toEqual([4, 4, 4, 4]);
    // Round robin: 25 % each, by construction (EDS weights are equal).
    expect(split[SLOW]!).toBeLessThan(0.15);
    expect(split[0]! + split[1]! + split[2]!).toBeGreaterThan(0.85);
    // Equal pods get comparable shares (weights do not follow each pod's own rate).
    for (let i = 0; i < SLOW; i++) expect(split[i]!).toBeGreaterThan(0.15);
  });
});
