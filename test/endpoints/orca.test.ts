import { describe, expect, it } from 'vitest';
import { adaptiveWorld, SLOW } from './adaptive-scenario.js';
import { MODEL, routeYaml, servedCounts, shares, sleep } from './harness.js';
import { affineRequest, LoadGenerator, XdsInferenceClient } from './load.js';

describe('ORCA load reports and client-side weighted round robin', () => {
  let clients: XdsInferenceClient[] = [];
  let load: LoadGenerator | undefined;
  const world = adaptiveWorld(
    async () => {
      await load?.stop();
      for (const c of clients) c.close();
    },
    { policy: routeYaml('  proxylessBalancing: { mode: orca }'), fastMs: 10 },
  );

  it('EDS keeps the pods of a zone in one locality without tuned weights (the clients weigh them)', () => {
    // One locality of four endpoints at weight 1 each (the watcher lists the locality weight).
    expect(world.eds.latest!.endpoints.map((e) => [e.subZone, e.weight])).toEqual(Array(4).fill(['', 4]));
  });

  it('the 4x slower pod gets measurably less than round robin would give it, the fast pods more', async () => {
    clients = [0, 1].map((i) => new XdsInferenceClient(world.fx.xdsAddress, MODEL, `orca-${i}`));
    await Promise.all(clients.map((c) => c.infer(affineRequest())));
    load = new LoadGenerator(clients);
    load.start(6);
    // Reports arrive with the first answers; a few weight updates later the split has settled.
    await sleep(3000);
    const before = servedCounts(world.pods);
    await sleep(8000);
    const split = shares(world.pods, before);
    const calls = await load.stop();
    load = undefined;
    console.log(
      `served ${split.map((s) => `${(100 * s).toFixed(1)}%`).join(' / ')} (slow last), ` +
        `${calls.filter((c) => c.code !== null).length} failed of ${calls.length}`,
    );
    expect(calls.filter((c) => c.code !== null)).toEqual([]);
    expect(world.eds.latest!.endpoints.map((e) => e.weight)).toEqual([4, 4, 4, 4]);
    // Round robin: 25 % each, by construction (EDS weights are equal).
    expect(split[SLOW]!).toBeLessThan(0.15);
    expect(split[0]! + split[1]! + split[2]!).toBeGreaterThan(0.85);
    // Equal pods get comparable shares (weights do not follow each pod's own rate).
    for (let i = 0; i < SLOW; i++) expect(split[i]!).toBeGreaterThan(0.15);
  });
});
