// A rollout's mirror step end to end: real pods on a real nats-server, the controller judging the
// comparisons the stable pod reports, and real grpc-js-xds clients. The candidate is `mlp`
// version 2, a model with other weights (another seed), so it disagrees with stable on some
// top-1 classes: the agreement gate fails and the rollout is rolled back before the candidate
// ever gets a weight. Every answer a client gets is the stable version's.
import { cp as copy } from 'node:fs/promises';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { afterEach, describe, expect, it } from 'vitest';
import { MLP } from '../../data-plane/models/catalog.js';
import type { Pod } from '../../data-plane/pod.js';
import { ModelInferRequestSchema } from '../../protos/gen/inference/grpc_predict_v2_pb.js';
import { f32Bytes, f32Of, inputRows, modelRepoCopy } from '../dataplane/harness.js';
import { type ModelRepo, startNats, startPod } from '../endpoints/harness.js';
import { XdsInferenceClient } from '../endpoints/load.js';
import type { ControlPlaneFixture } from '../helpers/control-plane.js';
import type { NatsServer } from '../helpers/nats-server.js';
import { OPERATOR, startPlane, waitFor } from './harness.js';

const mlpRoute = (rollout: Record<string, unknown>) => ({
  apiVersion: 'switchyard.dev/v1alpha1',
  kind: 'ModelRoute',
  metadata: { name: 'mlp', namespace: 'default' },
  spec: {
    model: 'mlp',
    mtls: 'DISABLE',
    versions: [
      { name: '1', weight: 100 },
      { name: '2', weight: 0 },
    ],
    rollout,
  },
});

function request(seed: number) {
  return create(ModelInferRequestSchema, {
    modelName: 'mlp',
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1n, BigInt(MLP.inputs)] }],
    rawInputContents: [f32Bytes(inputRows(1, MLP.inputs, seed))],
  });
}

/** A repository holding only mlp version `version`, made of version `from`'s model. */
async function only(version: string, from = version): Promise<ModelRepo> {
  const repo = await modelRepoCopy([]);
  const full = await modelRepoCopy(['mlp']);
  await copy(join(full.dir, 'mlp', from), join(repo.dir, 'mlp', version), { recursive: true });
  await full.cleanup();
  return repo;
}

/** Closed-loop callers that keep every answer's version; stopped by `stop()`. */
function callers(client: XdsInferenceClient, n: number) {
  const seen = { versions: new Map<string, number>(), failures: [] as string[], answered: 0 };
  let running = true;
  let seed = 0;
  const loops = Array.from({ length: n }, async () => {
    while (running) {
      try {
        const res = await client.call(request(seed++), 20_000);
        seen.versions.set(res.modelVersion, (seen.versions.get(res.modelVersion) ?? 0) + 1);
        if (f32Of(res.rawOutputContents[0]!).length !== MLP.classes) seen.failures.push('short output');
        seen.answered++;
      } catch (e) {
        seen.failures.push((e as Error).message);
      }
    }
  });
  return {
    seen,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

describe('rollout mirror step', () => {
  let nats: NatsServer | undefined;
  let fx: ControlPlaneFixture | undefined;
  const pods: Pod[] = [];
  const repos: ModelRepo[] = [];
  let client: XdsInferenceClient | undefined;
  afterEach(async () => {
    client?.close();
    for (const p of pods.splice(0)) await p.close();
    await fx?.close();
    await nats?.stop();
    for (const r of repos.splice(0)) await r.cleanup();
  }, 120_000);

  /** Stable mlp 1 and candidate mlp 2 made of `candidateFrom`'s weights, a route, a client. */
  async function setup(candidateFrom: string, mirrorFor: string) {
    nats = await startNats(['stable', 'candidate']);
    fx = (await startPlane(nats)).fx;
    const cp = fx.cp;
    repos.push(await only('1'), await only('2', candidateFrom));
    pods.push(await startPod(nats, repos[0]!, 'stable'), await startPod(nats, repos[1]!, 'candidate'));
    await waitFor(
      'both versions discovered',
      async () => cp.discovery?.statuses().size ?? 0,
      (n) => n === 2,
    );
    await cp.service.apply(OPERATOR, {
      document: mlpRoute({
        candidate: '2',
        steps: [
          { mirror: 100, for: mirrorFor },
          { weight: 50, for: '30s' },
        ],
        analysis: { minRequests: 40, agreement: { min: '99%' }, failureLimit: 2, interval: '500ms' },
        onFailure: 'rollback',
      }),
      reason: 'mlp with a rollout',
    });
    client = new XdsInferenceClient(fx.xdsAddress, 'mlp', 'mirror-rollout-client');
    return { cp, stable: pods[0]!, candidate: pods[1]!, client };
  }

  it('rolls back a candidate with other weights on the agreement gate; clients never see it', async () => {
    const { cp, stable, candidate, client } = await setup('2', '30s');
    const load = callers(client, 2);
    try {
      const started = await cp.rollouts!.service.start(OPERATOR, 'default', 'mlp', { reason: 'test' });
      expect(started).toMatchObject({ phase: 'progressing', step: 1, candidateWeight: 0 });
      await waitFor(
        'the stable pod mirroring to 2',
        async () => stable.mirror.current?.toVersion,
        (v) => v === '2',
      );
      const done = await waitFor(
        'the rollout to end',
        () => cp.rollouts!.service.status(OPERATOR, 'default', 'mlp'),
        (s) => s.phase !== 'progressing',
        90_000,
      );
      expect(done.phase, JSON.stringify(done.history.slice(0, 3))).toBe('failed');
      expect(done.step).toBe(1);
      const last = done.history[0]!;
      expect(last.outcome).toBe('rolled-back');
      const agreement = last.gates?.find((g) => g.gate === 'agreement');
      expect(agreement?.outcome, JSON.stringify(last.gates)).toBe('fail');
      expect(agreement!.threshold).toBe(0.99);
      expect(agreement!.candidate!).toBeLessThan(0.99);
      // The figures the decision used: at least minRequests comparisons, from the stable side.
      expect(last.stable?.mirrorCompared ?? 0).toBeGreaterThanOrEqual(40);
      expect(last.stable!.mirrorAgreed!).toBeLessThan(last.stable!.mirrorCompared!);
      console.info(`mirror step: ${agreement!.detail}`);
      // Rolled back: the mirror is off again and the candidate never had a weight.
      await waitFor(
        'the stable pod to stop mirroring',
        async () => stable.mirror.current?.toVersion ?? '',
        (v) => v === '',
      );
      const policy = await cp.service.get(OPERATOR, 'default', 'mlp');
      expect(Object.fromEntries(policy.versions.map((v) => [v.name, v.weight]))).toEqual({
        '1': 100,
        '2': 0,
      });
      const history = await cp.service.history(OPERATOR, 'default', 'mlp');
      const reasons = history.map((r) => r.record?.reason ?? '');
      expect(reasons).toContain('rollout mlp 2: step 1/2, mirror 100 %');
      expect(reasons.filter((r) => r.includes('rolled back'))).toHaveLength(1);
    } finally {
      await load.stop();
    }
    // The candidate answered copies, yet no client got one of its answers.
    expect(candidate.stats.served).toBeGreaterThanOrEqual(40);
    expect(stable.mirror.counts.answered).toBeGreaterThanOrEqual(40);
    expect(load.seen.failures).toEqual([]);
    expect(load.seen.answered).toBeGreaterThan(0);
    expect([...load.seen.versions.keys()]).toEqual(['1']);
  }, 180_000);

  // The control: the same rollout with a candidate of the stable weights passes the mirror step.
  it('moves a candidate that agrees on every copy from the mirror step on to its weight step', async () => {
    const { cp, client } = await setup('1', '2s');
    const load = callers(client, 2);
    try {
      await cp.rollouts!.service.start(OPERATOR, 'default', 'mlp', { reason: 'test' });
      const moved = await waitFor(
        'the weight step',
        () => cp.rollouts!.service.status(OPERATOR, 'default', 'mlp'),
        (s) => s.step === 2 || s.phase !== 'progressing',
        90_000,
      );
      expect(moved, JSON.stringify(moved.history.slice(0, 3))).toMatchObject({
        phase: 'progressing',
        step: 2,
        candidateWeight: 50,
      });
      const advance = moved.history.find((d) => d.outcome === 'advance' && d.step === 1);
      expect(advance?.reason).toBe('rollout mlp 2: step 2/2, 50 %');
      // The mirror step moved on after a passing sample (the advance may come on a later sample
      // still filling up, so the pass is looked for among the step's decisions).
      const judged = moved.history
        .filter((d) => d.step === 0 || d === advance)
        .map((d) => ({ d, agreement: d.gates?.find((g) => g.gate === 'agreement') }));
      expect(judged.some(({ agreement }) => agreement?.outcome === 'fail')).toBe(false);
      const passed = judged.find(({ agreement }) => agreement?.outcome === 'pass');
      expect(passed, JSON.stringify(moved.history)).toBeDefined();
      expect(passed!.agreement!.candidate).toBe(1);
      expect(passed!.d.stable!.mirrorCompared!).toBeGreaterThanOrEqual(40);
    } finally {
      await load.stop();
    }
    expect(load.seen.failures).toEqual([]);
  }, 180_000);
});
