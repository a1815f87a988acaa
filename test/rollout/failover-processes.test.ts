// A rollout survives a SIGKILL of its leader: two real `switchyard control-plane` processes on one
// nats-server, real pods reporting figures, real grpc-js-xds clients routed by the replica that is
// not killed. The leader drives the rollout to its second step and is SIGKILLed; the other replica
// takes the lease and carries on from that step: every step once, in order, each as one policy
// revision with its reason, and the next decision within the lease TTL plus a step.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LeaseStatus } from '../../control-plane/lease/index.js';
import type { RolloutView } from '../../control-plane/rollout/rollout-view.js';
import type { Pod } from '../../data-plane/pod.js';
import { affineRepo, type ModelRepo, startNats, startPod } from '../endpoints/harness.js';
import { LoadGenerator, XdsInferenceClient } from '../endpoints/load.js';
import { runMain } from '../helpers/cli-in-process.js';
import type { NatsServer } from '../helpers/nats-server.js';
import { type ReplicaProcess, startReplica } from '../replicas/helpers.js';
import { candidateRepo, waitFor } from './harness.js';

const LEASE_TTL_MS = 3000;
const STEP_MS = 3000;

const ROUTE = `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: affine, namespace: default }
spec:
  model: affine
  mtls: DISABLE
  versions:
    - { name: "1", weight: 100 }
    - { name: "2", weight: 0 }
  rollout:
    candidate: "2"
    steps:
      - { weight: 10, for: ${STEP_MS}ms }
      - { weight: 30, for: ${STEP_MS}ms }
      - { weight: 60, for: ${STEP_MS}ms }
    analysis: { minRequests: 20, errorRate: { max: 5% }, failureLimit: 2, inconclusiveLimit: 20, interval: 500ms }
`;

describe('rollout failover between control-plane processes', () => {
  let nats: NatsServer;
  let tmp: string;
  const replicas: ReplicaProcess[] = [];
  const repos: ModelRepo[] = [];
  const pods: Pod[] = [];
  const clients: XdsInferenceClient[] = [];
  let load: LoadGenerator | undefined;

  beforeAll(async () => {
    nats = await startNats(['stable-0', 'candidate-0']);
    tmp = await mkdtemp(join(tmpdir(), 'sy-rollout-failover-'));
    const args = ['--lease-ttl', `${LEASE_TTL_MS}ms`];
    replicas.push(await startReplica(nats, 'r1', args));
    replicas.push(await startReplica(nats, 'r2', args));
    repos.push(await affineRepo(), await candidateRepo());
    pods.push(await startPod(nats, repos[0]!, 'stable-0'), await startPod(nats, repos[1]!, 'candidate-0'));
  }, 180_000);
  afterAll(async () => {
    await load?.stop();
    for (const c of clients) c.close();
    await Promise.all(pods.map((p) => p.close()));
    for (const r of replicas) r.proc.kill();
    await Promise.all(replicas.map((r) => r.proc.exited));
    await nats?.stop();
    await Promise.all(repos.map((r) => r.cleanup()));
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const url = (r: ReplicaProcess) => `http://127.0.0.1:${r.adminPort}`;
  const leaderOf = async (r: ReplicaProcess): Promise<LeaseStatus> => {
    const res = await fetch(`${url(r)}/api/v1/snapshots`);
    return ((await res.json()) as { leader: LeaseStatus }).leader;
  };
  const status = async (r: ReplicaProcess): Promise<RolloutView> => {
    const out = await runMain('rollout', 'status', 'affine', '-o', 'json', '--server', url(r));
    if (out.code !== 0) throw new Error(out.stderr);
    return JSON.parse(out.stdout) as RolloutView;
  };

  it('continues from the same step on the other replica after a SIGKILL of the leader', async () => {
    const leaderName = (
      await waitFor(
        'a leader',
        () => leaderOf(replicas[0]!),
        (l) => !!l.leader,
      )
    ).leader;
    const leader = replicas.find((r) => r.name === leaderName)!;
    const survivor = replicas.find((r) => r !== leader)!;
    expect(leader, `lease holder ${leaderName}`).toBeDefined();

    const file = join(tmp, 'affine.yaml');
    await writeFile(file, ROUTE);
    const applied = await runMain('apply', '-f', file, '--server', url(survivor));
    expect(applied.code, applied.stderr).toBe(0);
    // The clients follow the survivor: this is about the controller's failover, not reconnects.
    clients.push(
      ...[0, 1].map(
        (i) => new XdsInferenceClient(`127.0.0.1:${survivor.xdsPort}`, 'affine', `fo-client-${i}`),
      ),
    );
    load = new LoadGenerator(clients);
    load.start(4);

    const started = await runMain(
      'rollout',
      'start',
      'affine',
      '--reason',
      'failover test',
      '--server',
      url(survivor),
    );
    expect(started.code, started.stderr).toBe(0);
    const atStep2 = await waitFor(
      'step 2 on the leader',
      () => status(survivor),
      (s) => s.step === 2,
      60_000,
    );
    expect(atStep2.phase).toBe('progressing');

    leader.proc.kill();
    await leader.proc.exited;
    const killedAt = Date.now();
    const moved = await waitFor(
      'the next decision after the SIGKILL',
      () => status(survivor),
      (s) => s.step !== 2 || s.phase !== 'progressing',
      60_000,
    );
    const tookMs = Date.now() - killedAt;
    console.log(`rollout step 2 -> ${moved.step} ${moved.phase} ${tookMs} ms after SIGKILL of ${leaderName}`);
    // Step 2 had run for some of its time on the killed leader: the survivor needs the lease
    // (at most one TTL) and at most the rest of the step, plus scheduling slack on a loaded box.
    expect(tookMs).toBeLessThan(LEASE_TTL_MS + STEP_MS + 5000);

    const done = await waitFor(
      'promotion',
      () => status(survivor),
      (s) => s.phase !== 'progressing',
      90_000,
    );
    expect(done.phase, JSON.stringify(done.history.slice(0, 3))).toBe('succeeded');
    const advances = [...done.history]
      .reverse()
      .filter((d) => d.outcome === 'advance' || d.outcome === 'promoted');
    // Each step exactly once, in order: none repeated, none skipped.
    expect(advances.map((d) => d.step)).toEqual([0, 1, 2, 2]);
    expect(advances.map((d) => d.outcome)).toEqual(['advance', 'advance', 'advance', 'promoted']);

    // The policy revisions: one per step, each with its reason, none twice. The controller saves
    // the promoted state before it writes the promotion's revision, so wait for that revision.
    const rolloutReasons = async (): Promise<string[]> => {
      const history = await runMain('history', 'affine', '-o', 'json', '--server', url(survivor));
      if (history.code !== 0) throw new Error(history.stderr);
      return (JSON.parse(history.stdout) as { revisions: { record?: { reason?: string } }[] }).revisions
        .map((r) => r.record?.reason ?? '')
        .filter((r) => r.startsWith('rollout affine 2:'))
        .sort();
    };
    const reasons = await waitFor('the promotion revision', rolloutReasons, (rs) =>
      rs.some((r) => r.includes('promoted')),
    );
    expect(reasons).toEqual(
      [
        'rollout affine 2: promoted after 3 steps',
        'rollout affine 2: step 1/3, 10 %',
        'rollout affine 2: step 2/3, 30 %',
        'rollout affine 2: step 3/3, 60 %',
      ].sort(),
    );
    expect((await leaderOf(survivor)).leader).toBe(survivor.name);
  }, 240_000);
});
