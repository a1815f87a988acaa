// Checks across policies: each model is routed by exactly one policy, and policy names are
// unique per namespace. Where two policies still claim one model (two files in a policy
// directory, two replicas racing an apply), one rule decides the owner everywhere: the policy
// whose `namespace/name` sorts first. The rule depends on nothing but the set, so every replica
// and every restart picks the same owner (docs/TRANSLATION.md, "Isolation per model").
import type { Issue } from '../../kernel/errors/index.js';
import type { ModelRoute } from './types.js';

export function policyId(route: ModelRoute): string {
  return `${route.metadata.namespace}/${route.metadata.name}`;
}

/** A policy that lost its model to another. */
export interface PolicyConflict {
  readonly policy: string;
  readonly model: string;
  readonly owner: string;
}

export interface Owners {
  /** One route per model (its owner), in the order the routes came. */
  readonly routes: readonly ModelRoute[];
  readonly conflicts: readonly PolicyConflict[];
}

function byId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The owning policy of each model; the others are reported as conflicts, sorted by policy. */
export function resolveOwners(routes: readonly ModelRoute[]): Owners {
  const owner = new Map<string, ModelRoute>();
  for (const r of routes) {
    const cur = owner.get(r.spec.model);
    if (!cur || byId(policyId(r), policyId(cur)) < 0) owner.set(r.spec.model, r);
  }
  const conflicts: PolicyConflict[] = [];
  const kept: ModelRoute[] = [];
  for (const r of routes) {
    const o = owner.get(r.spec.model)!;
    if (o === r) kept.push(r);
    else if (policyId(o) !== policyId(r))
      conflicts.push({ policy: policyId(r), model: r.spec.model, owner: policyId(o) });
  }
  conflicts.sort((a, b) => byId(a.policy, b.policy));
  return { routes: kept, conflicts };
}

export function conflictMessage(c: PolicyConflict): string {
  return `model ${JSON.stringify(c.model)} is already routed by ${c.owner}; one policy per model`;
}

/**
 * Problems in a set of valid routes, each path prefixed by the policy that loses the model
 * under the owner rule: `default/b.spec.model: model "resnet" is already routed by default/a`.
 */
export function checkPolicySet(routes: readonly ModelRoute[]): Issue[] {
  const issues: Issue[] = [];
  const ids = new Set<string>();
  for (const r of routes) {
    const id = policyId(r);
    if (ids.has(id)) issues.push({ path: `${id}.metadata.name`, message: `duplicate policy ${id}` });
    ids.add(id);
  }
  for (const c of resolveOwners(routes).conflicts)
    issues.push({ path: `${c.policy}.spec.model`, message: conflictMessage(c) });
  return issues;
}
