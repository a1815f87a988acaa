// GPU to CPU overflow with real pods: two pods that report a (simulated) GPU and one CPU pod
// behind a gpu-overflow-cpu route. Light load stays on the GPUs; heavy load drives their
// utilization over the threshold and the CPU pod takes the overflow; light load again and it
// is back on the GPUs alone. Traffic from grpc-js-xds, which follows the priorities in EDS.
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
  sleep,
  startDiscoveryPlane,
  startNats,
  startPod,
} from './harness.js';
import { LoadGenerator, XdsInferenceClient } from './load.js';

const DELAY_MS = 10;

describe('GPU overflow to CPU', () => {
  let nats: NatsServer;
  let repo: ModelRepo;
  let fx: ControlPlaneFixture;
  let gpu: Pod[];
  let cpu: Pod;
  let eds: EdsWatcher;
  let clients: XdsInferenceClient[];

  const cpuPriority = (u: EdsUpdate | undefined) => u?.endpoints.find((e) => e.subZone === 'cpu-1')?.priority;

  /** What each pod served over the next `ms`: [gpu-1, gpu-2, cpu-1]. */
  async function served(ms: number): Promise<number[]> {
    const all = [...gpu, cpu];
    const before = servedCounts(all);
    await sleep(ms);
    return servedCounts(all).map((n, i) => n - before[i]!);
  }

  beforeAll(async () => {
    nats = await startNats(['gpu-1', 'gpu-2', 'cpu-1']);
    repo = await affineRepo();
    fx = await startDiscoveryPlane(nats, {}, routeYaml('  backendPreference: gpu-overflow-cpu'));
    gpu = [
      await startPod(nats, repo, 'gpu-1', { reportGpu: true, injectDelayMs: DELAY_MS }),
      await startPod(nats, repo, 'gpu-2', { reportGpu: true, injectDelayMs: DELAY_MS }),
    ];
    cpu = await startPod(nats, repo, 'cpu-1', { injectDelayMs: DELAY_MS });
    eds = new EdsWatcher(fx.xdsAddress, CLUSTER);
    await eds.waitFor('three endpoints', (u) => u.endpoints.length === 3);
    clients = [0, 1].map((i) => new XdsInferenceClient(fx.xdsAddress, MODEL, `overflow-${i}`));
  });

  afterAll(async () => {
    for (const c of clients ?? []) c.close();
    eds?.close();
    for (const p of [...(gpu ?? []), cpu]) await p?.close();
    await fx?.close();
    await repo?.cleanup();
    await nats?.cleanup();
  });

  it('overflows to the CPU pod under load and returns to the GPUs when the pressure drops', async () => {
    expect(cpuPriority(eds.latest)).toBe(1);
    expect(
      eds
        .latest!.endpoints.filter((e) => e.priority === 0)
        .map((e) => e.subZone)
        .sort(),
    ).toEqual(['gpu-1', 'gpu-2']);

    // Light: one caller with a think time as long as a run keeps each GPU about a quarter busy,
    // far under the 80 % that starts an overflow even when a loaded machine slows the pods down.
    const light = new LoadGenerator(clients, undefined, DELAY_MS);
    light.start(1);
    await sleep(1500);
    // A window long enough that one caller on a loaded machine still makes dozens of calls.
    const calm = await served(3000);
    expect(calm[2]).toBe(0);
    expect(calm[0]! + calm[1]!).toBeGreaterThan(30);
    await light.stop();

    // Heavy: eight callers saturate both GPU workers.
    const heavy = new LoadGenerator(clients);
    const t0 = performance.now();
    heavy.start(8);
    const over = await eds.waitFor('overflow', (u) => u.atMs > t0 && cpuPriority(u) === 0, 10_000);
    const spilled = await served(2000);
    const heavyCalls = await heavy.stop();
    console.log(
      `overflow after ${((over.atMs - t0) / 1000).toFixed(1)} s; served gpu-1/gpu-2/cpu-1 ${spilled.join('/')}`,
    );
    expect(spilled[2]).toBeGreaterThan(0);
    expect(spilled[0]! + spilled[1]!).toBeGreaterThan(0);
    expect(heavyCalls.filter((c) => c.code !== null)).toEqual([]);

    // Light again: GPU utilization falls under the exit threshold, and after the hold the
    // CPU pod is back at priority 1 and idle.
    const again = new LoadGenerator(clients, undefined, DELAY_MS);
    const t1 = performance.now();
    again.start(1);
    const back = await eds.waitFor('back to GPU only', (u) => u.atMs > t1 && cpuPriority(u) === 1, 15_000);
    // The callers' own xDS clients apply that update a little later than the watcher sees it (on
    // a loaded machine, up to seconds): wait for a quiet half second on the CPU pod, then check
    // that it stays idle while the GPUs serve.
    const deadline = performance.now() + 10_000;
    while ((await served(500))[2] !== 0)
      if (performance.now() > deadline) throw new Error('the CPU pod still serves 10 s after the EDS update');
    const after = await served(2000);
    await again.stop();
    console.log(
      `back on the GPUs after ${((back.atMs - t1) / 1000).toFixed(1)} s; served ${after.join('/')}`,
    );
    expect(after[2]).toBe(0);
    expect(after[0]! + after[1]!).toBeGreaterThan(30);
    expect(cpuPriority(eds.latest)).toBe(1);
  });
});
