// `apply --dry-run`: the answer of an apply that stores nothing. The plan (quotas, conflicts,
// unchanged) is the real apply's; on top, the policy is translated for every flavor and its
// resources checked as the publisher would, so what clients would not get shows before it is
// written. No revision, no audit record, no idempotency record. docs/OPERATIONS.md, "Dry run".
import { PolicyConflictError } from '../../kernel/errors/index.js';
import type { ModelCheck } from '../pipeline/model-gate.js';
import type { ModelRoute } from '../policy/index.js';
import type { ApplyPlan } from './apply-plan.js';
import { policyDiff } from './policy-diff.js';

export interface DryRunResult {
  readonly namespace: string;
  readonly name: string;
  /** The live KV revision (0: none); nothing new was written. */
  readonly revision: number;
  readonly number?: number;
  readonly outcome: ApplyPlan['outcome'];
  readonly dryRun: true;
  /** Unified diff of the effective policy against the live revision ('' when the same). */
  readonly diff: string;
  /** Per flavor, what the translated resources would fail (empty: clients would get it). */
  readonly checks: readonly ModelCheck[];
}

/** `inspect`: each flavor's findings on the route's translated resources, with today's endpoints. */
export async function dryRun(
  route: ModelRoute,
  plan: ApplyPlan,
  expectedRevision: number | undefined,
  inspect: ((route: ModelRoute) => Promise<readonly ModelCheck[]>) | undefined,
): Promise<DryRunResult> {
  const { namespace, name } = route.metadata;
  const current = plan.live?.revision ?? 0;
  // What the store's compare-and-set would refuse at write time.
  if (expectedRevision !== undefined && expectedRevision !== current)
    throw new PolicyConflictError(
      `${namespace}/${name} changed since revision ${expectedRevision || '(none)'}: re-read it and apply again`,
    );
  const [{ diff }, checks] = await Promise.all([
    policyDiff({
      before: plan.live?.route,
      after: route,
      oldName: `live/${namespace}/${name}`,
      newName: `applied/${namespace}/${name}`,
    }),
    inspect?.(route) ?? [],
  ]);
  return {
    namespace,
    name,
    revision: current,
    ...(plan.live?.record.number !== undefined ? { number: plan.live.record.number } : {}),
    outcome: plan.outcome,
    dryRun: true,
    diff,
    checks,
  };
}
