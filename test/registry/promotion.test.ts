// Promotion policies on a real JetStream: a refused stage change lists every failing rule and is
// audited; once the rules hold (metric, another admin's approval, a completed canary) the same
// change is allowed and audited; the pusher cannot approve their own version.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelFile, type RegistryWorld, registryWorld } from './helpers.js';

const alice = { id: 'jwt:alice' };
const bob = { id: 'jwt:bob' };
const ref = { name: 'fraud', version: '2' };

describe('promotion policies', () => {
  let w: RegistryWorld;
  beforeAll(async () => {
    w = await registryWorld();
    await w.registry.push(
      { ...ref, namespace: 'risk', bytes: modelFile('convnet'), metrics: { auc: 0.88 } },
      alice,
    );
    await w.registry.setPromotionPolicy(
      'risk',
      { stages: { production: ['metric auc >= 0.90', 'approval', 'canary completed'] } },
      bob,
    );
  }, 60_000);
  afterAll(async () => w?.close());

  it('refuses with every failing rule listed, and audits the refusal', async () => {
    await w.registry.stage(ref, 'staging', alice, 'ready for tests');
    const err = await w.registry.stage(ref, 'production', alice, 'ship it').catch((e) => e);
    expect(err).toMatchObject({ code: 'SY_PROMOTION_REFUSED', httpStatus: 409 });
    expect(err.failures).toEqual([
      'metric auc >= 0.90: auc is 0.88',
      'approval: no approval for production by an admin other than the pusher jwt:alice',
      'canary completed: no completed canary is recorded',
    ]);
    expect((await w.registry.describe(ref)).stage).toBe('staging');
    const refused = (await w.registry.describe(ref)).history.filter((h) => h.phase === 'aborted');
    expect(refused).toHaveLength(1);
    expect(refused[0]!.error).toContain('SY_PROMOTION_REFUSED: staging -> production');
    expect(refused[0]!.error).toContain('auc is 0.88');
  }, 60_000);

  it('refuses the pusher as approver', async () => {
    await expect(w.registry.approve(ref, 'production', alice)).rejects.toMatchObject({
      code: 'SY_FORBIDDEN',
    });
  });

  it('allows the change once every rule holds, and audits each step', async () => {
    // Metrics are part of the pushed version: a better model is a new version.
    await w.registry.push(
      { name: 'fraud', version: '3', namespace: 'risk', bytes: modelFile('affine'), metrics: { auc: 0.93 } },
      alice,
    );
    const v3 = { name: 'fraud', version: '3' };
    await w.registry.approve(v3, 'production', bob, 'reviewed');
    let err = await w.registry.stage(v3, 'production', alice).catch((e) => e);
    expect(err.failures).toEqual(['canary completed: no completed canary is recorded']);
    await w.registry.recordCanaryCompleted(v3, { id: 'system:rollout' });
    const done = await w.registry.stage(v3, 'production', alice, 'canary passed');
    expect(done.stage).toBe('production');
    expect(done.stageHistory.at(-1)).toMatchObject({ from: 'none', to: 'production', by: 'jwt:alice' });
    const actions = (await w.registry.describe(v3)).history.map((h) => `${h.action}:${h.phase}`);
    expect(actions).toEqual([
      'model-push:committed',
      'model-approve:committed',
      'model-stage:aborted',
      'model-canary:committed',
      'model-stage:committed',
    ]);
    // A version in production is not deleted by accident.
    err = await w.registry.delete(v3, bob).catch((e) => e);
    expect(err.message).toContain('move it to archived');
    expect((await w.audit.verify()).ok).toBe(true);
  }, 60_000);

  it('counts pushes and stage changes by outcome', async () => {
    // The same bytes again: no new version.
    await w.registry.push(
      { ...ref, namespace: 'risk', bytes: modelFile('convnet'), metrics: { auc: 0.88 } },
      alice,
    );
    const text = await w.metrics.metrics();
    expect(text).toContain('switchyard_registry_pushes_total{result="created"} 2');
    expect(text).toContain('switchyard_registry_pushes_total{result="unchanged"} 1');
    expect(text).toContain('switchyard_registry_stage_changes_total{stage="staging",result="applied"} 1');
    expect(text).toContain('switchyard_registry_stage_changes_total{stage="production",result="refused"} 2');
    expect(text).toContain('switchyard_registry_stage_changes_total{stage="production",result="applied"} 1');
  }, 60_000);
});
