// How policies are shown to operators: a stored revision or a policy-directory route as one
// view (policy-diff.ts renders the effective policy as the YAML that diffs compare).
import type { ModelRoute } from '../policy/index.js';
import type { StoredPolicy } from '../store/policy-record.js';

export interface PolicyView {
  readonly namespace: string;
  readonly name: string;
  readonly model: string;
  readonly revision: number;
  /** Per-policy revision number (PolicyRecord.number). */
  readonly number?: number;
  readonly versions: ReadonlyArray<{ name: string; weight: number }>;
  readonly appliedBy?: string;
  readonly appliedAt?: string;
  readonly source?: string;
  readonly autoRollback?: boolean;
  readonly document: unknown;
  /** Set when clients do not get this document (a conflict, or resources that fail checks). */
  readonly problem?: PolicyProblem;
}

export interface PolicyProblem {
  readonly code: string;
  readonly message: string;
  readonly serving: string;
}

export function storedView(p: StoredPolicy): PolicyView {
  return {
    namespace: p.namespace,
    name: p.name,
    model: p.route.spec.model,
    revision: p.revision,
    ...(p.record.number !== undefined ? { number: p.record.number } : {}),
    versions: p.route.spec.versions.map((v) => ({ name: v.name, weight: v.weight })),
    appliedBy: p.record.appliedBy,
    appliedAt: p.record.appliedAt,
    source: p.record.source,
    ...(p.record.autoRollback ? { autoRollback: true } : {}),
    document: p.record.document,
  };
}

export function routeView(r: ModelRoute): PolicyView {
  return {
    namespace: r.metadata.namespace,
    name: r.metadata.name,
    model: r.spec.model,
    revision: 0,
    versions: r.spec.versions.map((v) => ({ name: v.name, weight: v.weight })),
    source: 'policy-dir',
    document: r,
  };
}
