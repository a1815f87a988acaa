// The registry, placement and managed pods end to end, with real processes: a nats-server with
// JetStream, a control plane with NATS and a KEK, three `switchyard pod --managed` processes
// (each with only the managed pod's NATS grants), `switchyard models push` as a subprocess, and a
// grpc-js-xds client dialing xds:///mlp. A ModelRoute names registry versions instead of
// endpoints; the test measures push-to-routable, checks every answer against session.run in this
// process, rolls a second version in at 50/50 under traffic, and SIGKILLs a pod.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFixture, apiKey } from '../api/fixture.js';
import { waitFor } from '../helpers/control-plane.js';
import type { ManagedPodProcess } from './managed-pod-process.js';
import { type PlatformWorld, startPlatform } from './platform-world.js';
import type { XdsTraffic } from './traffic.js';

const version = (name: string, v: string, weight: number) =>
  `    - { name: ${name}, weight: ${weight}, model: { registry: "mlp:${v}" }, replicas: { min: 2, max: 2 } }`;
const route = (...versions: string[]) => `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: mlp }
spec:
  model: mlp
  mtls: DISABLE
  versions:
${versions.join('\n')}
`;

describe('registry to traffic: push, placement on managed pods, proxyless routing', () => {
  let w: PlatformWorld;
  let fx: ApiFixture;
  let policies: string;
  let traffic: XdsTraffic;
  let pods: readonly ManagedPodProcess[];
  const push = (v: string) => w.push(v);
  const placed = (v: string) => w.placed(v);
  /** Pod ids EDS lists for mlp:<v>, from the control plane's endpoint listing. */
  const listed = async (policyVersion: string) => {
    const r = await fx.call('GET', '/api/v1/endpoints', undefined, apiKey(fx.keys['viewer-all']));
    expect(r.status).toBe(200);
    const rows = r.json.endpoints as Array<Record<string, unknown>>;
    return rows
      .filter((e) => e.model === 'mlp' && e.version === policyVersion && e.health !== 'UNHEALTHY')
      .map((e) => String(e.podId))
      .sort();
  };
  const dump = () => w.dump();

  beforeAll(async () => {
    // Three pods, one per zone: two replicas of a version leave one pod spare for it.
    w = await startPlatform('sy-platform-', route(version('v1', '1', 100)), ['a', 'b', 'c']);
    ({ fx, policies, traffic, pods } = w);
  }, 120_000);

  afterAll(async () => {
    await w?.close();
  });

  it('push -> placed on both pods -> routable; answers equal session.run, 0 failed RPCs', async () => {
    const started = Date.now();
    const r = await push('1');
    expect(r.stderr + r.stdout).toMatch(/mlp:1 pushed/);
    expect(r.code).toBe(0);
    const pushed = Date.now();
    await waitFor(
      async () => (await placed('1')).ready.length === 2,
      60_000,
      'mlp:1 READY on two pods',
    ).catch((e) => {
      dump();
      throw e;
    });
    const ready = Date.now();
    // Routable: the proxyless client's first successful answer.
    await waitFor(
      () =>
        traffic.infer(2000).then(
          () => true,
          () => false,
        ),
      60_000,
      'a first answer through xds:///mlp',
    );
    const routable = Date.now();
    console.log(
      `push (CLI: ORT check, upload) ${pushed - started} ms; push-to-ready (2 pods) ${ready - started} ms; ` +
        `push-to-routable ${routable - started} ms (${routable - pushed} ms after the push returned)`,
    );
    const holders = (await placed('1')).ready;
    expect(holders).toHaveLength(2);
    await waitFor(
      async () => JSON.stringify(await listed('v1')) === JSON.stringify(holders),
      30_000,
      `EDS lists ${holders.join(', ')}`,
    );

    traffic.start();
    await waitFor(() => traffic.stats.ok >= 50, 60_000, '50 answers');
    const s = traffic.snapshot();
    expect(s.errors).toEqual([]);
    expect(s.failed).toBe(0);
    expect(s.mismatched).toBe(0);
    expect(Object.keys(s.byVersion)).toEqual(['1']);
  }, 180_000);

  it('pushes version 2 and splits 50/50 while traffic flows: 0 failed RPCs, answers from both', async () => {
    const before = traffic.snapshot();
    const started = Date.now();
    expect((await push('2')).code).toBe(0);
    // Make before break at the route: version 2 joins at weight 0 (placed, loaded, not routed),
    // and takes its half once both its pods report it READY.
    await writeFile(join(policies, 'mlp.yaml'), route(version('v1', '1', 100), version('v2', '2', 0)));
    await waitFor(async () => (await placed('2')).ready.length === 2, 60_000, 'mlp:2 READY on two pods');
    console.log(`version 2: push-to-ready under traffic ${Date.now() - started} ms`);
    await writeFile(join(policies, 'mlp.yaml'), route(version('v1', '1', 50), version('v2', '2', 50)));
    await waitFor(
      () => (traffic.stats.byVersion['2'] ?? 0) - (before.byVersion['2'] ?? 0) >= 30,
      60_000,
      '30 answers from version 2',
    ).catch((e) => {
      console.log(JSON.stringify(traffic.snapshot()));
      throw e;
    });
    const s = traffic.snapshot();
    console.log(`answers by version: ${JSON.stringify(s.byVersion)}; failed ${s.failed}`);
    expect(s.errors).toEqual([]);
    expect(s.failed).toBe(0);
    expect(s.mismatched).toBe(0);
    expect(s.byVersion['1']! - before.byVersion['1']!).toBeGreaterThan(0);
  }, 180_000);

  it('SIGKILL of a pod: its replicas are re-placed on the other pods within 10 s, traffic continues', async () => {
    // A pod that holds version 1: what it held must move.
    const victimId = (await placed('1')).assigned[0]!;
    const victim = pods.find((p) => p.podId === victimId)!;
    const survivors = pods.map((p) => p.podId).filter((id) => id !== victimId);
    const before = traffic.snapshot();

    victim.proc.kill('SIGKILL');
    await victim.exited;
    const killedAt = Date.now();
    // Two replicas of each version on the two survivors: what the victim held moves to the one
    // that lacked it.
    const onSurvivors = async (field: 'assigned' | 'ready') => {
      for (const v of ['1', '2'])
        if (JSON.stringify((await placed(v))[field]) !== JSON.stringify(survivors)) return false;
      return true;
    };
    await waitFor(
      () => onSurvivors('assigned'),
      10_000,
      `both versions assigned to ${survivors.join(' and ')}`,
    ).catch(async (e) => {
      console.log(JSON.stringify([await placed('1'), await placed('2')]));
      throw e;
    });
    const replacedIn = Date.now() - killedAt;
    await waitFor(() => onSurvivors('ready'), 60_000, `both versions READY on ${survivors.join(' and ')}`);
    const readyIn = Date.now() - killedAt;
    const mark = traffic.stats.ok;
    await waitFor(() => traffic.stats.ok >= mark + 50, 60_000, '50 more answers');
    const s = await traffic.stop();
    console.log(
      `SIGKILL ${victimId}: re-placed in ${replacedIn} ms, READY in ${readyIn} ms; ` +
        `failed RPCs around the kill: ${s.failed - before.failed} (${s.errors.slice(0, 3).join(' | ')}); ` +
        `answers by version since the kill: 1: ${(s.byVersion['1'] ?? 0) - (before.byVersion['1'] ?? 0)}, ` +
        `2: ${(s.byVersion['2'] ?? 0) - (before.byVersion['2'] ?? 0)}`,
    );
    expect(replacedIn).toBeLessThanOrEqual(10_000);
    expect(s.mismatched).toBe(0);
    expect(s.ok - before.ok).toBeGreaterThanOrEqual(50);
  }, 180_000);
});
