// Checks across policies: each model is routed by exactly one policy, and policy names are
// unique per namespace. The control plane runs this over the whole set before translating.
import type { Issue } from '../errors/index.js';
import type { ModelRoute } from './types.js';

export function policyId(route: ModelRoute): string {
  return `${route.metadata.namespace}/${route.metadata.name}`;
}

/**
 * Problems in a set of valid routes, each path prefixed by the later policy's id (the earlier
 * one keeps the model): `default/b.spec.model: model "resnet" is already routed by default/a`.
 */
export function checkPolicySet(routes: readonly ModelRoute[]): Issue[] {
  const issues: Issue[] = [];
  const byModel = new Map<string, string>();
  const ids = new Set<string>();
  for (const r of routes) {
    const id = policyId(r);
    if (ids.has(id)) issues.push({ path: `${id}.metadata.name`, message: `duplicate policy ${id}` });
    ids.add(id);
    const owner = byModel.get(r.spec.model);
    if (owner !== undefined && owner !== id)
      issues.push({
        path: `${id}.spec.model`,
        message: `model ${JSON.stringify(r.spec.model)} is already routed by ${owner}; one policy per model`,
      });
    else byModel.set(r.spec.model, id);
  }
  return issues;
}
