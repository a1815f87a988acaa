// The release plan after promotion: when it is due, what it writes, and what it leaves alone.
import { describe, expect, it } from 'vitest';
import { parsePolicyFile } from '../policy/index.js';
import { command, startRollout } from './machine.js';
import { planRelease } from './release.js';
import type { RolloutState } from './state.js';

const routeWith = (v1: string, extra = '') =>
  parsePolicyFile(
    `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: fraud }
spec:
  model: fraud
  versions:
    - { name: v1, weight: 0, ${v1} }
    - { name: v2, weight: 100, model: { registry: "fraud:2" } }
  rollout:
    candidate: v2
    steps: [{ weight: 10, for: 5s }]
    analysis: { errorRate: { max: 10% } }
${extra}`,
    'p.yaml',
  )[0]!;

const REGISTRY = 'model: { registry: "fraud:1" }, replicas: { min: 2, max: 3 }';

/** Promoted by an operator at t = 1000 ms. */
function promoted(route = routeWith(REGISTRY)): RolloutState {
  const spec = route.spec.rollout!;
  const s = startRollout('default/fraud', 'fraud', spec, 'v1', 100, 0).state;
  return command(spec, s, 'promote', 1000, 'alice')!.state;
}

describe('planRelease', () => {
  it('waits for the grace (60s by default), then sets only the old stable to no replicas', () => {
    const route = routeWith(REGISTRY);
    const s = promoted(route);
    expect(planRelease(route, s, 60_999)).toEqual({ kind: 'wait', dueAtMs: 61_000 });
    const plan = planRelease(route, s, 61_000);
    if (plan.kind !== 'write') throw new Error(`expected a write, got ${plan.kind}`);
    expect(plan.reason).toBe('rollout fraud v2: released the replicas of v1 after 60s');
    const [after] = parsePolicyFile(JSON.stringify(plan.document), 'released');
    expect(after!.spec.versions.map((v) => [v.name, v.weight, v.replicas])).toEqual([
      ['v1', 0, { min: 0, max: 0 }],
      ['v2', 100, { min: 1, max: 1 }],
    ]);
  });

  it('takes the grace from spec.rollout.releaseAfter', () => {
    const route = routeWith(REGISTRY, '    releaseAfter: 5s\n');
    const s = promoted(route);
    expect(planRelease(route, s, 5999).kind).toBe('wait');
    expect(planRelease(route, s, 6000)).toMatchObject({
      kind: 'write',
      reason: 'rollout fraud v2: released the replicas of v1 after 5s',
    });
  });

  it('has nothing to release for a stable version with static endpoints', () => {
    const route = routeWith('endpoints: [{ address: 127.0.0.1, port: 9000 }]');
    expect(planRelease(route, promoted(route), 1e9)).toEqual({ kind: 'none' });
  });

  it('does nothing before promotion, after the flag, or when the stable has traffic again', () => {
    const route = routeWith(REGISTRY);
    const spec = route.spec.rollout!;
    const progressing = startRollout('default/fraud', 'fraud', spec, 'v1', 100, 0).state;
    expect(planRelease(route, progressing, 1e9)).toEqual({ kind: 'none' });
    expect(planRelease(route, { ...promoted(route), released: true }, 1e9)).toEqual({ kind: 'none' });
    const busy = parsePolicyFile(
      JSON.stringify({
        ...route,
        spec: { ...route.spec, versions: route.spec.versions.map((v) => ({ ...v, weight: 50 })) },
      }),
      'busy',
    )[0]!;
    expect(planRelease(busy, promoted(route), 1e9)).toEqual({ kind: 'none' });
  });

  it('only marks the state when the route already asks for no replicas', () => {
    const route = routeWith('model: { registry: "fraud:1" }, replicas: { min: 0, max: 0 }');
    expect(planRelease(route, promoted(route), 1e9)).toEqual({ kind: 'done' });
  });
});
