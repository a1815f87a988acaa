// Promotion policies (pure): per namespace, the rules a version must satisfy to enter a stage.
// A policy is JSON, one list of rule texts per target stage:
//
//   { "stages": { "production": ["metric auc >= 0.90", "approval", "canary completed", "from canary"] } }
//
// Rules: `metric NAME OP NUMBER` (OP one of >= > <= < ==), `approval` (an approval for that stage
// by an admin other than the pusher), `canary completed` (recorded by the rollout controller),
// `from STAGE[,STAGE]` (the stage it must come from). A refusal lists every failing rule.
// docs/REGISTRY.md, "Promotion policies".
import type { Issue } from '../../kernel/errors/index.js';
import { PolicyValidationError } from '../../kernel/errors/index.js';
import { type RegistryVersion, STAGES, type Stage, TARGET_STAGES } from './record.js';

const OPS = ['>=', '>', '<=', '<', '=='] as const;
type Op = (typeof OPS)[number];

export type Rule =
  | {
      readonly kind: 'metric';
      readonly metric: string;
      readonly op: Op;
      readonly value: number;
      readonly text: string;
    }
  | { readonly kind: 'approval'; readonly text: string }
  | { readonly kind: 'canary'; readonly text: string }
  | { readonly kind: 'from'; readonly stages: readonly Stage[]; readonly text: string };

export interface PromotionPolicy {
  readonly stages: Partial<Record<Stage, readonly Rule[]>>;
}

export const NO_POLICY: PromotionPolicy = { stages: {} };

function parseRule(text: string, path: string, issues: Issue[]): Rule | undefined {
  const t = text.trim().replace(/\s+/g, ' ');
  const metric = /^metric ([A-Za-z0-9_.-]+) (>=|>|<=|<|==) (-?\d+(?:\.\d+)?(?:e-?\d+)?)$/i.exec(t);
  if (metric)
    return { kind: 'metric', metric: metric[1]!, op: metric[2] as Op, value: Number(metric[3]), text: t };
  if (/^approval$/i.test(t)) return { kind: 'approval', text: t };
  if (/^canary completed$/i.test(t)) return { kind: 'canary', text: t };
  const from = /^from ([a-z,]+)$/i.exec(t);
  if (from) {
    const stages = from[1]!.split(',');
    const bad = stages.filter((s) => !(STAGES as readonly string[]).includes(s));
    if (!bad.length) return { kind: 'from', stages: stages as Stage[], text: t };
    issues.push({ path, message: `unknown stage ${bad.join(', ')} (stages: ${STAGES.join(', ')})` });
    return undefined;
  }
  issues.push({
    path,
    message: `${JSON.stringify(text)} is not a rule (metric NAME OP NUMBER | approval | canary completed | from STAGE[,STAGE])`,
  });
  return undefined;
}

/** Parses the JSON form; every problem is reported with its path. */
export function parsePolicy(doc: unknown, source: string): PromotionPolicy {
  const issues: Issue[] = [];
  const stagesDoc = (doc as { stages?: unknown } | null)?.stages;
  if (typeof stagesDoc !== 'object' || stagesDoc === null || Array.isArray(stagesDoc))
    throw new PolicyValidationError(source, [
      { path: 'stages', message: 'must be an object of stage -> rules' },
    ]);
  const stages: Partial<Record<Stage, Rule[]>> = {};
  for (const [stage, rules] of Object.entries(stagesDoc)) {
    if (!(TARGET_STAGES as readonly string[]).includes(stage)) {
      issues.push({ path: `stages.${stage}`, message: `unknown stage (one of ${TARGET_STAGES.join(', ')})` });
      continue;
    }
    if (!Array.isArray(rules) || rules.some((r) => typeof r !== 'string')) {
      issues.push({ path: `stages.${stage}`, message: 'must be a list of rule texts' });
      continue;
    }
    stages[stage as Stage] = rules
      .map((r, i) => parseRule(r as string, `stages.${stage}[${i}]`, issues))
      .filter((r): r is Rule => r !== undefined);
  }
  if (issues.length) throw new PolicyValidationError(source, issues);
  return { stages };
}

/** The JSON form back (what parsePolicy reads). */
export function policyDocument(p: PromotionPolicy): { stages: Record<string, string[]> } {
  return {
    stages: Object.fromEntries(Object.entries(p.stages).map(([s, rules]) => [s, rules!.map((r) => r.text)])),
  };
}

function compare(a: number, op: Op, b: number): boolean {
  switch (op) {
    case '>=':
      return a >= b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    case '<':
      return a < b;
    case '==':
      return a === b;
  }
}

function failure(rule: Rule, v: RegistryVersion, to: Stage): string | undefined {
  switch (rule.kind) {
    case 'metric': {
      const value = v.metrics[rule.metric];
      if (value === undefined) return `${rule.text}: the version has no metric ${rule.metric}`;
      return compare(value, rule.op, rule.value) ? undefined : `${rule.text}: ${rule.metric} is ${value}`;
    }
    case 'approval': {
      const ok = v.approvals.some((a) => a.stage === to && a.by !== v.pushedBy);
      if (ok) return undefined;
      const own = v.approvals.some((a) => a.stage === to);
      return `${rule.text}: no approval for ${to} by an admin other than the pusher ${v.pushedBy}${own ? ' (the pusher approved it; that does not count)' : ''}`;
    }
    case 'canary':
      return v.canaryCompleted ? undefined : `${rule.text}: no completed canary is recorded`;
    case 'from':
      return rule.stages.includes(v.stage) ? undefined : `${rule.text}: the version is in ${v.stage}`;
  }
}

/** Every rule `v` breaks for a move to `to` under `policy`; empty: allowed. */
export function promotionFailures(policy: PromotionPolicy, v: RegistryVersion, to: Stage): string[] {
  return (policy.stages[to] ?? []).map((r) => failure(r, v, to)).filter((f): f is string => f !== undefined);
}
