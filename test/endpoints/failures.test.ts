// Failures under traffic from real grpc-js-xds clients: a `switchyard pod` process SIGKILLed
// (no drain, no goodbye) must leave EDS within 3 s; nats-server killed and restarted must cause
// no endpoint churn in EDS and no failed RPC (fail static).
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../data-plane/pod.js';
import { type ControlPlaneFixture, waitFor } from '../helpers/control-plane.js';
import type { NatsServer } from '../helpers/nats-server.js';
import { addressesOf, EdsWatcher } from './eds-watch.js';
import {
  affineRepo,
  CLUSTER,
  HEARTBEAT_MS,
  MODEL,
  type ModelRepo,
  sleep,
  spawnPod,
  startDiscoveryPlane,
  startNats,
  startPod,
} from './harness.js';
import { LoadGenerator, summarize, XdsInferenceClient } from './load.js';

const DELAY_MS = 5;

describe('failures under traffic', () => {
  let nats: NatsServer;
  let repo: ModelRepo;
  let fx: ControlPlaneFixture;
  const pods: Pod[] = [];
  let doomed: { child: ChildProcess; grpcPort: number; stderr: () => string } | undefined;
  let eds: EdsWatcher;
  let clients: XdsInferenceClient[];

  beforeAll(async () => {
    nats = await startNats(['pod-a', 'pod-b', 'pod-k']);
    repo = await affineRepo();
    fx = await startDiscoveryPlane(nats);
    doomed = await spawnPod(nats, repo, 'pod-k', ['--inject-delay-ms', String(DELAY_MS)]);
    for (const id of ['pod-a', 'pod-b'])
      pods.push(await startPod(nats, repo, id, { injectDelayMs: DELAY_MS }));
    eds = new EdsWatcher(fx.xdsAddress, CLUSTER);
    await eds.waitFor('three endpoints', (u) => addressesOf(u).length === 3, 60_000);
    clients = [0, 1].map((i) => new XdsInferenceClient(fx.xdsAddress, MODEL, `failures-${i}`));
  });

  afterAll(async () => {
    for (const c of clients ?? []) c.close();
    eds?.close();
    if (doomed && doomed.child.exitCode === null) doomed.child.kill('SIGKILL');
    for (const p of pods) await p.close();
    await fx?.close();
    await repo?.cleanup();
    await nats?.cleanup();
  });

  it('drops a SIGKILLed pod from EDS within 3 s', async () => {
    const load = new LoadGenerator(clients);
    load.start(6);
    await sleep(1500);
    const gone = `127.0.0.1:${doomed!.grpcPort}`;
    expect(addressesOf(eds.latest)).toContain(gone);
    const killedAt = performance.now();
    doomed!.child.kill('SIGKILL');
    const left = await eds.waitFor(
      'the killed pod out of EDS',
      (u) => u.atMs > killedAt && !addressesOf(u).includes(gone),
    );
    const leftAfterMs = left.atMs - killedAt;
    await sleep(Math.max(0, 3000 - (performance.now() - killedAt)));
    const calls = await load.stop();
    // A call still in flight when its pod is killed belongs to the kill, not to the time before
    // it: "before" holds the calls that had ended by then.
    const ended = calls.filter((c) => c.endMs <= killedAt);
    const after = calls.filter((c) => c.endMs > killedAt);
    const window = summarize(after, 0, killedAt + 3000);
    const before = summarize(ended, 0, killedAt);
    const failedBefore = ended
      .filter((c) => c.code !== null)
      .map(
        (c) => `code ${c.code} ${(c.startMs - killedAt).toFixed(0)}..${(c.endMs - killedAt).toFixed(0)} ms`,
      );
    console.log(
      `SIGKILL: out of EDS after ${leftAfterMs.toFixed(0)} ms (heartbeat ${HEARTBEAT_MS} ms x 3 misses); ` +
        `client error rate in the 3 s after the kill (calls in flight at it included) ` +
        `${(100 * window.errorRate).toFixed(2)}% (${window.failures}/${window.calls}); ` +
        `before it ${before.failures}/${before.calls}${failedBefore.length ? ` (${failedBefore.join(', ')})` : ''}`,
    );
    expect(leftAfterMs).toBeLessThan(3000);
    expect(left.endpoints.map((e) => `${e.address}:${e.port}`).sort()).toEqual(
      pods.map((p) => `127.0.0.1:${p.ports.grpc}`).sort(),
    );
    expect(before.failures).toBe(0);
  });

  it('keeps EDS unchanged and every RPC succeeding while nats-server is killed and restarted', async () => {
    const steady = await eds.waitFor('two endpoints', (u) => addressesOf(u).length === 2);
    const load = new LoadGenerator(clients);
    load.start(6);
    await sleep(1000);
    const from = eds.updates.length;
    const killedAt = performance.now();
    const table = fx.cp.discovery!.table;
    await nats.kill();
    await waitFor(() => table.frozen, 5000, 'the table to freeze');
    // Far longer than 3 missed heartbeats: a live table would have ejected every pod.
    await sleep(10 * HEARTBEAT_MS);
    await nats.restart();
    // The pods and the control plane reconnect; the pods re-register and beat again.
    await waitFor(() => !table.frozen, 10_000, 'the control plane to reconnect');
    await sleep(10 * HEARTBEAT_MS);
    const calls = await load.stop();
    const during = eds.updates.slice(from);
    const membership = new Set(during.map((u) => addressesOf(u).join(',')));
    const window = summarize(calls, killedAt);
    console.log(
      `NATS outage: ${during.length} EDS update(s) during it (weights only), ` +
        `${window.calls} RPCs, ${window.failures} failed`,
    );
    expect([...membership].every((m) => m === addressesOf(steady).join(','))).toBe(true);
    expect(during.every((u) => u.endpoints.every((e) => e.health === 'HEALTHY'))).toBe(true);
    expect(calls.filter((c) => c.code !== null)).toEqual([]);
    expect(window.calls).toBeGreaterThan(100);
    // Alive after the outage: the pods are heard again, so nothing ages out later either.
    const states = fx.cp
      .discovery!.statuses()
      .get(CLUSTER)!
      .map((s) => [s.podId, s.state]);
    // pod-k, SIGKILLed above, stays listed as UNHEALTHY until its TTL.
    expect(states).toEqual([
      ['pod-a', 'HEALTHY'],
      ['pod-b', 'HEALTHY'],
      ['pod-k', 'UNHEALTHY'],
    ]);
  });
});
