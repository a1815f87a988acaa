// A policy's problem as the API reports it: the first of its models' problems (a policy routes
// one model today, so there is at most one).
import type { PolicyProblem } from '../api/policy-service.js';
import type { ModelProblem } from './snapshot-publisher.js';

export function policyProblems(models: readonly ModelProblem[]): Map<string, PolicyProblem> {
  const out = new Map<string, PolicyProblem>();
  for (const p of models)
    if (!out.has(p.policy)) out.set(p.policy, { code: p.code, message: p.message, serving: p.serving });
  return out;
}
