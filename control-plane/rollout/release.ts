// After a promotion plus `spec.rollout.releaseAfter`, the old stable version's replicas are
// released: one revision sets its `replicas` to { min: 0, max: 0 } and the placer unloads it.
// Pure; the controller applies the plan. docs/ROLLOUTS.md "After promotion".
import type { ModelRoute } from '../policy/index.js';
import { registryRefOf } from '../policy/registry-ref.js';
import { RELEASE_AFTER, rolloutDurationMs } from '../policy/rollout.js';
import type { RolloutState } from './state.js';

export type ReleasePlan =
  /** Nothing to do now or ever: not promoted, already released, or nothing to release. */
  | { readonly kind: 'none' }
  /** Promoted, but the grace period is not over. */
  | { readonly kind: 'wait'; readonly dueAtMs: number }
  /** The route already asks for no replicas of the old stable: only the state is left to mark. */
  | { readonly kind: 'done' }
  | { readonly kind: 'write'; readonly document: Record<string, unknown>; readonly reason: string };

export function promotedAtMs(state: RolloutState): number {
  return state.history.find((d) => d.outcome === 'promoted')?.atMs ?? state.stepStartedAtMs;
}

export function planRelease(route: ModelRoute, state: RolloutState, nowMs: number): ReleasePlan {
  if (state.phase !== 'succeeded' || state.released) return { kind: 'none' };
  const old = route.spec.versions.find((v) => v.name === state.stable);
  // Static endpoints or discovered pods are not ours to unload; a version the operator gave
  // traffic again is in use.
  if (!old || !registryRefOf(old) || (old.weight ?? 0) > 0) return { kind: 'none' };
  const grace = state.spec.releaseAfter ?? RELEASE_AFTER;
  const dueAtMs = promotedAtMs(state) + rolloutDurationMs(grace);
  if (nowMs < dueAtMs) return { kind: 'wait', dueAtMs };
  if (old.replicas?.min === 0 && old.replicas.max === 0) return { kind: 'done' };
  const doc = structuredClone(route) as unknown as { spec: { versions: Record<string, unknown>[] } };
  doc.spec.versions = route.spec.versions.map((v) =>
    v.name === state.stable ? { ...v, replicas: { min: 0, max: 0 } } : { ...v },
  );
  return {
    kind: 'write',
    document: doc as unknown as Record<string, unknown>,
    reason: `rollout ${state.model} ${state.candidate}: released the replicas of ${state.stable} after ${grace}`,
  };
}
