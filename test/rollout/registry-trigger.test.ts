// Rollouts and the model registry on a real nats-server: a registry version moved to `canary`
// starts a rollout on the route whose version it backs (that version the candidate); a promoted
// rollout marks the version `canary completed` and moves it to `production` through the model
// service, audited as the rollout controller; a promotion policy that refuses the move leaves the
// version where it was, and the rollout's history says why; releaseAfter later, the old stable's
// replicas are released in one revision.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallContext } from '../../control-plane/api/policy-service.js';
import { KeyEncryptionKey } from '../../kernel/crypto/index.js';
import { type ControlPlaneFixture, startControlPlane } from '../helpers/control-plane.js';
import { NatsServer } from '../helpers/nats-server.js';
import { modelFile } from '../registry/helpers.js';
import { OPERATOR, waitFor } from './harness.js';

const ADMIN: CallContext = {
  principal: { id: 'test:admin', kind: 'apikey', bindings: [{ role: 'admin', namespaces: ['*'] }] },
  from: 'test',
  via: 'http',
};
const REVIEWER: CallContext = { ...ADMIN, principal: { ...ADMIN.principal, id: 'test:reviewer' } };

function route(versions: Array<[string, number, string]>): Record<string, unknown> {
  return {
    apiVersion: 'switchyard.dev/v1alpha1',
    kind: 'ModelRoute',
    metadata: { name: 'fraud', namespace: 'default' },
    spec: {
      model: 'fraud',
      mtls: 'DISABLE',
      versions: versions.map(([name, weight, ref]) => ({ name, weight, model: { registry: ref } })),
      // The template: its candidate is replaced by the version the registry moved to canary.
      rollout: {
        candidate: versions.at(-1)![0],
        steps: [{ weight: 10, for: '10m' }],
        analysis: { minRequests: 20, errorRate: { max: '5%' } },
        releaseAfter: '1s',
      },
    },
  };
}

describe('rollouts started and finished by the model registry', () => {
  let nats: NatsServer;
  let fx: ControlPlaneFixture;

  beforeAll(async () => {
    nats = await NatsServer.start();
    fx = await startControlPlane(
      {},
      {
        nats: { ...nats.connectOptions(), name: 'cp-registry-rollouts' },
        registry: { kek: KeyEncryptionKey.fromKeyBytes(new Uint8Array(32).fill(5), 'test kek') },
      },
    );
    for (const version of ['1', '2', '3'])
      await fx.cp.models!.push(ADMIN, { name: 'fraud', version, bytes: modelFile('affine') });
    await fx.cp.models!.stage(ADMIN, { name: 'fraud', version: '1' }, 'production');
  }, 120_000);
  afterAll(async () => {
    await fx?.close();
    await nats?.cleanup();
  });

  const models = () => fx.cp.models!;
  const rollouts = () => fx.cp.rollouts!.service;

  it('starts on a move to canary and moves the promoted candidate to production', async () => {
    await fx.cp.service.apply(OPERATOR, {
      document: route([
        ['v1', 100, 'fraud:1'],
        ['v2', 0, 'fraud:2'],
      ]),
      reason: 'fraud with a rollout template',
    });
    await expect(rollouts().status(OPERATOR, 'default', 'fraud')).rejects.toMatchObject({
      code: 'SY_NOT_FOUND',
    });
    await models().stage(ADMIN, { name: 'fraud', version: '2' }, 'canary', 'try it');
    const started = await rollouts().status(OPERATOR, 'default', 'fraud');
    expect(started).toMatchObject({ phase: 'progressing', candidate: 'v2', stable: 'v1', step: 1 });

    await rollouts().command(OPERATOR, 'default', 'fraud', 'promote', 'looks good');
    const done = await waitFor(
      'the promotion hook',
      () => rollouts().status(OPERATOR, 'default', 'fraud'),
      (s) => s.history.some((d) => d.outcome === 'hook'),
    );
    expect(done.phase).toBe('succeeded');
    expect(done.history.find((d) => d.outcome === 'hook')?.reason).toBe(
      'registry fraud:2: canary completed, stage production',
    );
    const v2 = await models().describe(ADMIN, { name: 'fraud', version: '2' });
    expect(v2.stage).toBe('production');
    expect(v2.canaryCompleted?.by).toBe('system:rollout');
    expect(v2.stageHistory.at(-1)).toMatchObject({ from: 'canary', to: 'production', by: 'system:rollout' });
    // Audited like any stage change, as the rollout controller.
    expect(v2.history.filter((h) => h.action === 'model-stage' && h.who === 'system:rollout')).toHaveLength(
      1,
    );
    expect(v2.history.some((h) => h.action === 'model-canary')).toBe(true);
    // The hook ran once: later ticks find it done.
    await new Promise((r) => setTimeout(r, 1500));
    const later = await rollouts().status(OPERATOR, 'default', 'fraud');
    expect(later.history.filter((d) => d.outcome === 'hook')).toHaveLength(1);

    // releaseAfter (1s) after the promotion, one revision releases the old stable's replicas.
    const reason = 'rollout fraud v2: released the replicas of v1 after 1s';
    const released = await waitFor(
      'the release of the old stable',
      () => rollouts().status(OPERATOR, 'default', 'fraud'),
      (s) => s.history.some((d) => d.outcome === 'released'),
    );
    expect(released.history.find((d) => d.outcome === 'released')?.reason).toBe(reason);
    await new Promise((r) => setTimeout(r, 1500));
    const revisions = await fx.cp.service.history(OPERATOR, 'default', 'fraud');
    const releases = revisions.filter((r) => r.record?.reason === reason);
    expect(releases).toHaveLength(1);
    const versions = (releases[0]!.record!.document as { spec: { versions: Record<string, unknown>[] } }).spec
      .versions;
    expect(versions.map((v) => [v.name, v.weight, v.replicas])).toEqual([
      ['v1', 0, { min: 0, max: 0 }],
      ['v2', 100, { min: 1, max: 1 }],
    ]);
    expect(revisions.at(-1)?.record?.reason).toBe(reason);
  }, 60_000);

  it('records a refusal by the promotion policy; the version stays in canary', async () => {
    await models().setPromotionPolicy(ADMIN, 'default', {
      stages: { production: ['approval', 'canary completed'] },
    });
    const current = await fx.cp.service.get(OPERATOR, 'default', 'fraud');
    await fx.cp.service.apply(OPERATOR, {
      document: route([
        ['v1', 0, 'fraud:1'],
        ['v2', 100, 'fraud:2'],
        ['v3', 0, 'fraud:3'],
      ]),
      reason: 'fraud v3 next',
      expectedRevision: current.revision,
    });
    await models().stage(ADMIN, { name: 'fraud', version: '3' }, 'canary');
    const started = await rollouts().status(OPERATOR, 'default', 'fraud');
    expect(started).toMatchObject({ phase: 'progressing', candidate: 'v3', stable: 'v2' });
    await rollouts().command(OPERATOR, 'default', 'fraud', 'promote');
    const done = await waitFor(
      'the promotion hook',
      () => rollouts().status(OPERATOR, 'default', 'fraud'),
      (s) => s.history.some((d) => d.outcome === 'hook'),
    );
    const note = done.history.find((d) => d.outcome === 'hook')!.reason;
    expect(note).toContain('registry fraud:3: stays in its stage');
    expect(note).toContain('approval: no approval for production');
    const v3 = await models().describe(ADMIN, { name: 'fraud', version: '3' });
    expect(v3.stage).toBe('canary');
    // The completed canary is recorded: once another admin approves, the move is allowed.
    expect(v3.canaryCompleted?.by).toBe('system:rollout');
    await models().approve(REVIEWER, { name: 'fraud', version: '3' }, 'production');
    await models().stage(ADMIN, { name: 'fraud', version: '3' }, 'production');
  }, 60_000);
});
