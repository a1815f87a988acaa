// Endpoint weights as the tuner hands them to the translator (discovered endpoints with a
// weight, each in a locality of its own whose locality weight is that weight), followed by a
// real gRPC C-core client: the served share of each pod follows its weight. grpc-js-xds shows the
// same in test/endpoints/adaptive.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXds, type XdsFixture } from '../helpers/xds-fixture.js';
import { endpointOf, type Pod, policy, publishPolicy, startPod } from '../translate-e2e/harness.js';
import { ccoreClient, closeClients, unavailable, until } from './harness.js';

let fx: XdsFixture;
const pods: Pod[] = [];

beforeAll(async () => {
  fx = await startXds();
  for (const name of ['pod-a', 'pod-b', 'pod-c']) pods.push(await startPod('v1', name));
});
afterAll(async () => {
  await closeClients();
  await Promise.all([fx.close(), ...pods.map((p) => p.close())]);
});

describe.skipIf(unavailable)('discovered endpoint weights with gRPC C-core', () => {
  it('serves each pod in proportion to its weight, and follows a re-weighting', async () => {
    const [a, b, c] = pods as [Pod, Pod, Pod];
    const publish = (wa: number, wb: number, wc: number) =>
      publishPolicy(fx, policy('weighted', 'versions: [{ name: v1 }]'), {
        'weighted/v1': [
          endpointOf(a, { region: 'local', weight: wa }),
          endpointOf(b, { region: 'local', weight: wb }),
          endpointOf(c, { region: 'local', weight: wc }),
        ],
      });
    publish(10, 30, 60);
    const client = ccoreClient(fx, 'ccore-weights');
    const n = 2000;
    const share = (r: { byPod: Record<string, number> }, pod: string) => (r.byPod[pod] ?? 0) / n;
    const first = await client.send('weighted', { n, concurrency: 32, waitForReady: true });
    expect(first.errors).toEqual([]);
    expect(Math.abs(share(first, 'pod-a') - 0.1)).toBeLessThan(0.05);
    expect(Math.abs(share(first, 'pod-b') - 0.3)).toBeLessThan(0.05);
    expect(Math.abs(share(first, 'pod-c') - 0.6)).toBeLessThan(0.05);

    // The tuner moves weight away from pod-c: the client follows the new assignment.
    publish(45, 45, 10);
    await until('the new weights applied', async () => {
      const probe = await client.send('weighted', { n: 200, concurrency: 16 });
      return (probe.byPod['pod-c'] ?? 0) < 50;
    });
    const second = await client.send('weighted', { n, concurrency: 32 });
    expect(second.errors).toEqual([]);
    expect(Math.abs(share(second, 'pod-a') - 0.45)).toBeLessThan(0.05);
    expect(Math.abs(share(second, 'pod-b') - 0.45)).toBeLessThan(0.05);
    expect(Math.abs(share(second, 'pod-c') - 0.1)).toBeLessThan(0.05);
  });
});
