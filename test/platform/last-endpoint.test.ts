// A routed registry version loses its last ready endpoint under traffic, with real processes: a
// nats-server with JetStream, a control plane, three `switchyard pod --managed` processes and a
// grpc-js-xds client dialing xds:///mlp. Version 2 has one replica; its pod is sent SIGTERM
// (it drains: not ready at once, still answering for its drain grace, 5 s as by default). The route moves the
// version's weight to version 1 while the EDS keeps its last endpoint until the clients have that
// route (control-plane/translate/last-endpoint-hold.ts): no call fails.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/control-plane.js';
import { type PlatformWorld, startPlatform } from './platform-world.js';

const route = `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: mlp }
spec:
  model: mlp
  mtls: DISABLE
  versions:
    - { name: v1, weight: 50, model: { registry: "mlp:1" }, replicas: { min: 2, max: 2 } }
    - { name: v2, weight: 50, model: { registry: "mlp:2" }, replicas: { min: 1, max: 1 } }
`;

describe('a registry version loses its last endpoint under traffic', () => {
  let w: PlatformWorld;

  beforeAll(async () => {
    // The pods' default drain grace: a draining pod answers that long, which the hold relies on.
    w = await startPlatform('sy-last-endpoint-', route, ['a', 'b', 'c'], { drainGrace: '5s' });
  }, 120_000);

  afterAll(async () => {
    await w?.close();
  });

  it('SIGTERM of the only pod holding version 2: 0 failed RPCs while its weight moves to version 1', async () => {
    const step = (s: string) => console.log(`${new Date().toISOString().slice(11, 23)} ${s}`);
    for (const v of ['1', '2']) {
      // A push is idempotent (same digest): on a loaded machine the CLI may give up waiting once.
      let r = await w.push(v);
      for (let i = 0; i < 2 && r.code !== 0; i++) {
        step(`push ${v} exited ${r.code}: ${(r.stderr + r.stdout).slice(-300)}; again`);
        r = await w.push(v);
      }
      expect(r.code).toBe(0);
    }
    step('pushed 1 and 2');
    await waitFor(
      async () => (await w.placed('1')).ready.length === 2 && (await w.placed('2')).ready.length === 1,
      240_000,
      'mlp:1 READY on two pods and mlp:2 on one',
    ).catch(async (e) => {
      w.dump();
      console.log(JSON.stringify(await w.fx.cp.placement?.view()));
      throw e;
    });
    step('placed');
    const { traffic } = w;
    await waitFor(
      () =>
        traffic.infer(2000).then(
          () => true,
          () => false,
        ),
      60_000,
      'a first answer through xds:///mlp',
    );
    step('routable');
    traffic.start(6);
    await waitFor(
      () => (traffic.stats.byVersion['1'] ?? 0) >= 20 && (traffic.stats.byVersion['2'] ?? 0) >= 20,
      60_000,
      '20 answers from each version',
    );
    const before = traffic.snapshot();
    expect(before.failed).toBe(0);

    const holder = (await w.placed('2')).ready[0]!;
    const victim = w.pods.find((p) => p.podId === holder)!;
    step(`SIGTERM ${holder}`);
    victim.proc.kill('SIGTERM');
    // Until version 1 alone has answered for a while: the route without version 2 is in place.
    await victim.exited;
    step('exited');
    const mark = traffic.stats.byVersion['1'] ?? 0;
    await waitFor(() => (traffic.stats.byVersion['1'] ?? 0) >= mark + 100, 60_000, '100 more answers');
    const s = await traffic.stop();
    console.log(
      `SIGTERM ${holder} (last endpoint of version 2): answers since ${JSON.stringify({
        1: (s.byVersion['1'] ?? 0) - (before.byVersion['1'] ?? 0),
        2: (s.byVersion['2'] ?? 0) - (before.byVersion['2'] ?? 0),
      })}, failed ${s.failed - before.failed} ${s.errors.slice(0, 3).join(' | ')}`,
    );
    expect(s.errors).toEqual([]);
    expect(s.failed).toBe(0);
    expect(s.mismatched).toBe(0);
    // Version 2 answered after the SIGTERM too: from its draining pod, through the held EDS.
    expect(s.byVersion['2']! - before.byVersion['2']!).toBeGreaterThan(0);
  }, 600_000);
});
