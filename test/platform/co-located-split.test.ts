import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Follower } from '../envoy/follower.js';
import { clustersFor, upstream } from '../envoy/gateway-walk.js';
import { SotwClient } from '../helpers/ads-client.js';
import { waitFor } from '../helpers/control-plane.js';
import { type PlatformWorld, startPlatform } from './platform-world.js';
import { MLP_DIMS, MLP_INPUT, type XdsTraffic } from './traffic.js';

const ROUTE = `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: mlp }
spec:
  model: mlp
  mtls: DISABLE
  versions:
    - { name: v1, weight: 50, model: { registry: "mlp:1" }, replicas: { min: 2, max: 2 } }
    - { name: v2, weight: 50, model: { registry: "mlp:2" }, replicas: { min: 2, max: 2 } }
`;

describe('two versions of one model co-located on managed pods', () => {
  let w: PlatformWorld;
  let traffic: XdsTraffic;
  const push = (v: string) => w.push(v);
  const ready = async (v: string) => (await w.placed(v)).ready;
  const dump = () => w.dump();

  beforeAll(async () => {
    // Both versions at 50 before either exists in the registry.
    w = await startPlatform('sy-colocated-', ROUTE, ['a', 'b']);
    ({ traffic } = w);
  }, 120_000);

  afterAll(async () => {
    await w?.close();
  });

  it('weight on a version no pod holds READY goes to the ready one: 0 failed RPCs', async () => {
    expect((await push('1')).code).toBe(0);
    await waitFor(async () => (await ready('1')).length === 2, 60_000, 'mlp:1 READY on both pods').catch(
      (e) => {
        dump();
        throw e;
      },
    );
    await waitFor(
      () =>
        traffic.infer(2000).then(
          () => true,
          () => false,
        ),
      60_000,
      'a first answer through xds:///mlp',
    );
    traffic.start();
    await waitFor(() => traffic.stats.ok >= 60, 60_000, '60 answers');
    const s = traffic.snapshot();
    expect(s.errors).toEqual([]);
    expect(s.failed).toBe(0);
    expect(s.mismatched).toBe(0);
    // Version 2 has weight 50 but no READY endpoint: every answer is version 1's.
    expect(Object.keys(s.byVersion)).toEqual(['1']);
  }, 180_000);

  it('version 2 lands on the same pods under traffic; the 50/50 split answers half from each', async () => {
    console.log(`push 2 at ${new Date().toISOString().slice(11, 23)}`);
    expect((await push('2')).code).toBe(0);
    await waitFor(async () => (await ready('2')).length >= 1, 60_000, 'mlp:2 READY on one pod');
    console.log(`READY on one at ${new Date().toISOString().slice(11, 23)}`);
    await waitFor(async () => (await ready('2')).length === 2, 60_000, 'mlp:2 READY on both pods');
    console.log(`READY on two at ${new Date().toISOString().slice(11, 23)}`);
    // Two pods, two replicas of each version: both pods hold both versions.
    expect(await ready('1')).toEqual(['pod-a', 'pod-b']);
    expect(await ready('2')).toEqual(['pod-a', 'pod-b']);
    // Version 2 enters EDS with its pods' READY; wait for its first answers, then count a window.
    await waitFor(() => (traffic.stats.byVersion['2'] ?? 0) >= 5, 60_000, 'answers from version 2');
    const before = traffic.snapshot();
    await waitFor(() => traffic.stats.ok - before.ok >= 300, 120_000, '300 more answers');
    const s = traffic.snapshot();
    const one = (s.byVersion['1'] ?? 0) - (before.byVersion['1'] ?? 0);
    const two = (s.byVersion['2'] ?? 0) - (before.byVersion['2'] ?? 0);
    console.log(`50/50 over two co-located versions: version 1 ${one}, version 2 ${two}; failed ${s.failed}`);
    expect(s.errors).toEqual([]);
    expect(s.failed).toBe(0);
    expect(s.mismatched).toBe(0);
    // A fair split of 300 has a standard deviation of about 8.7; 35 %..65 % is over 5 of them.
    // Before each version had its own port, version 2 (the newest) answered nearly everything.
    const share = one / (one + two);
    expect(share).toBeGreaterThan(0.35);
    expect(share).toBeLessThan(0.65);
  }, 240_000);

  it("Envoy's REST entry reaches each version of the split on the pods' per-version HTTP ports", async () => {
    // The gateway's resources, followed the way Envoy resolves a REST request: the default route
    // splits between the two versions' REST clusters; each cluster's endpoints must answer with
    // that cluster's version (before each version had an HTTP port of its own, the pods' shared
    // HTTP port answered every version-less path with the newest version).
    const ads = new SotwClient(w.fx.xdsAddress, { id: 'rest-gateway', userAgentName: 'envoy' });
    try {
      const follow = new Follower(ads);
      const path = '/v2/models/mlp/infer';
      const clusters = await clustersFor(follow, { authority: 'gateway.example:8080', path, headers: {} });
      expect(clusters.sort()).toEqual(['mlp/v1/http', 'mlp/v2/http']);
      const body = JSON.stringify({
        inputs: [{ name: 'input', datatype: 'FP32', shape: MLP_DIMS, data: [...MLP_INPUT] }],
      });
      const pods = w.pods.map((p) => p.httpPort);
      for (const [cluster, version] of [
        ['mlp/v1/http', '1'],
        ['mlp/v2/http', '2'],
      ] as const) {
        const up = await upstream(follow, cluster);
        expect(up.protocol).toBe('httpProtocolOptions');
        // Both pods hold both versions: two endpoints, neither on a pod's shared HTTP port.
        expect(up.addresses).toHaveLength(2);
        for (const a of up.addresses) {
          expect(pods).not.toContain(Number(a.split(':')[1]));
          const res = await fetch(`http://${a}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          });
          expect(res.status).toBe(200);
          const out = (await res.json()) as { model_version: string; outputs: { data: number[] }[] };
          expect(out.model_version).toBe(version);
          const ref = w.references.get(version)!;
          const got = out.outputs[0]!.data;
          expect(got).toHaveLength(ref.length);
          // The same tolerance as the gRPC traffic's check against session.run.
          expect(Math.max(...got.map((x, i) => Math.abs(x - ref[i]!)))).toBeLessThanOrEqual(1e-5);
        }
      }
    } finally {
      ads.close();
    }
  }, 120_000);
});
