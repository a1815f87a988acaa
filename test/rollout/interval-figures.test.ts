// Per-interval figures end to end: real pods on a real nats-server, a control plane discovering
// them, and a real grpc-js-xds client sending the traffic. The counters the pods put in their
// heartbeats, summed by the control plane (versionFigures), match the requests sent exactly;
// --inject-error-rate fails about that share of requests, each one counted as an error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../../control-plane/pipeline/control-plane.js';
import type { EndpointView } from '../../control-plane/pipeline/endpoint-view.js';
import type { Pod } from '../../data-plane/pod.js';
import { KServeClient } from '../dataplane/harness.js';
import { addressesOf, EdsWatcher } from '../endpoints/eds-watch.js';
import {
  affineRepo,
  CLUSTER,
  MODEL,
  type ModelRepo,
  routeYaml,
  startDiscoveryPlane,
  startNats,
  startPod,
} from '../endpoints/harness.js';
import { affineRequest, XdsInferenceClient } from '../endpoints/load.js';
import { type ControlPlaneFixture, waitFor } from '../helpers/control-plane.js';
import type { NatsServer } from '../helpers/nats-server.js';

const UNAVAILABLE = 14;

describe('interval figures and fault injection', () => {
  let nats: NatsServer;
  let repo: ModelRepo;
  let fx: ControlPlaneFixture;
  let cp: ControlPlane;
  const pods: Pod[] = [];
  let client: XdsInferenceClient;
  const figures = () => cp.discovery!.versionFigures(MODEL, '1');

  beforeAll(async () => {
    nats = await startNats(['pod-a', 'pod-b']);
    repo = await affineRepo();
    // No retries: every failed attempt must reach the client, so its count can be compared.
    fx = await startDiscoveryPlane(nats, {}, routeYaml('  retries: { attempts: 0 }'));
    cp = fx.cp;
    pods.push(await startPod(nats, repo, 'pod-a'), await startPod(nats, repo, 'pod-b'));
    const eds = new EdsWatcher(fx.xdsAddress, CLUSTER);
    await eds.waitFor('both pods', (x) => addressesOf(x).length === 2);
    eds.close();
    client = new XdsInferenceClient(fx.xdsAddress, MODEL, 'figures-client');
    expect(await client.infer(affineRequest())).toBeNull();
  });

  afterAll(async () => {
    client?.close();
    for (const p of pods) await p.close();
    await cp?.stop();
    await fx?.close();
    await repo?.cleanup();
    await nats?.cleanup();
  });

  it('sums the pods’ heartbeat counters to exactly the requests sent, counted once', async () => {
    // The warm-up request above lands in some interval: start from a settled total.
    await waitFor(() => figures().total.requests === 1, 10_000, 'the warm-up request counted');
    const before = figures().total;
    const sent = 120;
    for (let i = 0; i < sent / 4; i++) {
      const codes = await Promise.all(Array.from({ length: 4 }, () => client.infer(affineRequest())));
      expect(codes.filter((c) => c !== null)).toEqual([]);
    }
    await waitFor(() => figures().total.requests - before.requests >= sent, 10_000, 'all requests counted');
    // A few more heartbeats: an interval counted twice (or a stale one) would show now.
    const seqs = () => pods.map((p) => p.agent!.lastSequence);
    const at = seqs();
    await waitFor(() => seqs().every((s, i) => s >= at[i]! + 3n), 10_000, 'three more heartbeats');
    const after = figures();
    expect(after.total.requests - before.requests).toBe(sent);
    expect(after.total.errors - before.errors).toBe(0);
    const buckets = after.total.latencyBuckets.map((n, i) => n - before.latencyBuckets[i]!);
    expect(buckets.reduce((a, b) => a + b, 0)).toBe(sent);
    // Both pods served: the sum really is across pods.
    let perPod: EndpointView[] = [];
    await waitFor(
      async () => {
        const res = await fetch(`${fx.adminUrl}/api/v1/endpoints`);
        perPod = ((await res.json()) as { endpoints: EndpointView[] }).endpoints;
        return perPod.length === 2 && perPod.every((e) => e.interval);
      },
      5000,
      'endpoints with interval figures',
    );
    for (const e of perPod) expect(e.interval!.latencyBuckets).toHaveLength(13);
    expect(pods.every((p) => p.stats.served > 10)).toBe(true);
  });

  it('fails about the injected share of requests with UNAVAILABLE, each counted as an error', async () => {
    for (const p of pods) p.setInjectErrorRate(0.2);
    const before = figures().total;
    const sent = 400;
    let failed = 0;
    for (let i = 0; i < sent / 8; i++) {
      const codes = await Promise.all(Array.from({ length: 8 }, () => client.infer(affineRequest())));
      for (const c of codes) {
        if (c === null) continue;
        expect(c).toBe(UNAVAILABLE);
        failed++;
      }
    }
    // Binomial(400, 0.2): 80 +- 8; 0.13..0.27 is more than three standard deviations.
    expect(failed / sent).toBeGreaterThan(0.13);
    expect(failed / sent).toBeLessThan(0.27);
    await waitFor(
      () => figures().total.requests - before.requests >= sent,
      10_000,
      'the injected traffic counted',
    );
    const after = figures().total;
    expect(after.requests - before.requests).toBe(sent);
    expect(after.errors - before.errors).toBe(failed);
    const ok =
      after.latencyBuckets.reduce((a, b) => a + b, 0) - before.latencyBuckets.reduce((a, b) => a + b, 0);
    expect(ok).toBe(sent - failed);
  });

  it('says "injected" to the client over gRPC and HTTP (503)', async () => {
    const pod = pods[0]!;
    pod.setInjectErrorRate(1);
    const direct = new KServeClient(pod.ports.grpc);
    try {
      const err = (await direct.infer(affineRequest()).catch((e: unknown) => e)) as {
        code: number;
        details: string;
      };
      expect(err.code).toBe(UNAVAILABLE);
      expect(err.details).toMatch(/^injected failure: model affine version 1 fails 100 % of requests/);
      const res = await fetch(`http://127.0.0.1:${pod.ports.http}/v2/models/affine/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }],
        }),
      });
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({
        code: 'SY_INJECTED_FAILURE',
        error: expect.stringMatching(/^injected failure: model affine version 1/),
      });
    } finally {
      direct.close();
      for (const p of pods) p.setInjectErrorRate(0);
    }
  });
});
