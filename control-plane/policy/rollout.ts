// `spec.rollout`: a canary that moves the candidate's weight step by step and is judged by
// gates against the stable version. Parsed and checked here (shape, bounds, units) and against
// the route's versions (checkRolloutReferences); docs/ROLLOUTS.md is the reference.
import type { Issue } from '../../kernel/errors/index.js';
import { parseDurationNs } from '../../kernel/runtime/duration.js';
import { checkObject, type Field, isPlainObject, joinPath } from './schema.js';

export interface RolloutStep {
  /** Share of traffic routed to the candidate, 0..100; absent on a mirror-only step. */
  readonly weight?: number;
  /** Share of the stable version's traffic copied to the candidate, answers discarded. */
  readonly mirror?: number;
  /** How long the step lasts when every gate passes, e.g. `30s`. */
  readonly for: string;
}

export interface RolloutAnalysis {
  /** Candidate requests an interval needs before a gate may pass; fewer is inconclusive. */
  readonly minRequests: number;
  /** Error share, as a fraction 0..1 (`1%` in YAML); vsStable: at most this many times stable's. */
  readonly errorRate?: { readonly max?: number; readonly vsStable?: number };
  readonly latencyP99?: { readonly maxMs?: number; readonly vsStable?: number };
  /** Mirror steps: the share of compared answers that agree, as a fraction 0..1. */
  readonly agreement?: { readonly min: number };
  /** Failing intervals in a row that fail the rollout. */
  readonly failureLimit: number;
  /** Inconclusive intervals a step may extend by before the rollout pauses. */
  readonly inconclusiveLimit: number;
  /** How often the gates are evaluated, e.g. `1s` (the pods' heartbeat interval). */
  readonly interval: string;
}

export type OnFailure = 'rollback' | 'pause';

export interface RolloutSpec {
  readonly candidate: string;
  /** The version compared against; by default the other version with the most weight. */
  readonly stable?: string;
  readonly steps: readonly RolloutStep[];
  readonly analysis: RolloutAnalysis;
  readonly onFailure: OnFailure;
  /**
   * After promotion, how long the old stable keeps its replicas before they are released
   * (RELEASE_AFTER when absent: states stored before the field existed).
   */
  readonly releaseAfter?: string;
}

const MAX_STEPS = 20;
export const RELEASE_AFTER = '60s';

/** `1%`, `0.5 %` or a bare number of percent (1 = 1 %): a fraction 0..1. */
function checkPercent(value: unknown, path: string, out: Issue[]): number | undefined {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\s*\d+(\.\d+)?\s*%\s*$/.test(value)
        ? Number.parseFloat(value)
        : Number.NaN;
  if (!Number.isFinite(n) || n < 0 || n > 100) {
    out.push({ path, message: `${JSON.stringify(value)} is not a percentage from 0% to 100% (e.g. 1%)` });
    return undefined;
  }
  return n / 100;
}

/** `2x`, `1.3x` or a bare number: a factor of at least 1 over the stable version's figure. */
function checkFactor(value: unknown, path: string, out: Issue[]): number | undefined {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\s*\d+(\.\d+)?\s*x\s*$/.test(value)
        ? Number.parseFloat(value)
        : Number.NaN;
  if (!Number.isFinite(n) || n < 1 || n > 1000) {
    out.push({ path, message: `${JSON.stringify(value)} is not a factor from 1x to 1000x (e.g. 1.3x)` });
    return undefined;
  }
  return n;
}

const f = (schema: Field['schema'], extra: Omit<Field, 'schema'> = {}): Field => ({ schema, ...extra });
const PERCENT_FIELD = {
  kind: 'custom',
  check: checkPercent,
  json: {
    anyOf: [
      { type: 'number', minimum: 0, maximum: 100 },
      { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*%\\s*$' },
    ],
  },
} as const;
const FACTOR_FIELD = {
  kind: 'custom',
  check: checkFactor,
  json: {
    anyOf: [
      { type: 'number', minimum: 1, maximum: 1000 },
      { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*x\\s*$' },
    ],
  },
} as const;
const STEP_SHARE = { kind: 'number', min: 0, max: 100 } as const;

const STEP_FIELDS: Record<string, Field> = {
  weight: f(STEP_SHARE),
  mirror: f({ kind: 'number', above: 0, max: 100 }),
  for: f({ kind: 'duration', positive: true }, { required: true }),
};

const ANALYSIS_FIELDS: Record<string, Field> = {
  minRequests: f({ kind: 'int', min: 1, max: 1_000_000_000 }, { default: 100 }),
  errorRate: f({
    kind: 'object',
    fields: { max: f(PERCENT_FIELD), vsStable: f(FACTOR_FIELD) },
  }),
  latencyP99: f({
    kind: 'object',
    fields: { maxMs: f({ kind: 'number', above: 0, max: 3_600_000 }), vsStable: f(FACTOR_FIELD) },
  }),
  agreement: f({ kind: 'object', fields: { min: f(PERCENT_FIELD, { required: true }) } }),
  failureLimit: f({ kind: 'int', min: 1, max: 1000 }, { default: 2 }),
  inconclusiveLimit: f({ kind: 'int', min: 0, max: 100_000 }, { default: 30 }),
  interval: f({ kind: 'duration', positive: true }, { default: '1s' }),
};

const ROLLOUT_FIELDS: Record<string, Field> = {
  candidate: f({ kind: 'string' }, { required: true }),
  stable: f({ kind: 'string' }),
  steps: f(
    { kind: 'list', items: { kind: 'object', fields: STEP_FIELDS }, minItems: 1, maxItems: MAX_STEPS },
    { required: true },
  ),
  analysis: f({ kind: 'object', fields: ANALYSIS_FIELDS }, { default: {} }),
  onFailure: f({ kind: 'string', oneOf: ['rollback', 'pause'] }, { default: 'rollback' }),
  releaseAfter: f({ kind: 'duration' }, { default: RELEASE_AFTER }),
};

/** The structure of `spec.rollout`, for the published JSON Schema and the CRD. */
export const ROLLOUT_SHAPE = { kind: 'object', fields: ROLLOUT_FIELDS } as const;

function checkSteps(steps: unknown, path: string, out: Issue[]): void {
  if (!Array.isArray(steps)) return;
  steps.forEach((s, i) => {
    if (!isPlainObject(s)) return;
    const p = joinPath(path, i);
    if (s.weight === undefined && s.mirror === undefined)
      out.push({ path: p, message: 'must set weight (candidate share) or mirror (shadow share)' });
    if (s.weight !== undefined && s.mirror !== undefined)
      out.push({ path: p, message: 'sets both weight and mirror; a step either shifts or mirrors traffic' });
  });
  let last = -1;
  steps.forEach((s, i) => {
    if (!isPlainObject(s) || typeof s.weight !== 'number') return;
    if (s.weight < last)
      out.push({
        path: joinPath(joinPath(path, i), 'weight'),
        message: `must not be below an earlier step's ${last}`,
      });
    last = Math.max(last, s.weight);
  });
}

/** The schema's custom check for `spec.rollout`. */
export function checkRollout(value: unknown, path: string, out: Issue[]): RolloutSpec | undefined {
  const doc = checkObject(ROLLOUT_FIELDS, value, path, out);
  if (doc) {
    checkSteps(doc.steps, joinPath(path, 'steps'), out);
    const a = doc.analysis as Record<string, unknown> | undefined;
    if (a && a.errorRate === undefined && a.latencyP99 === undefined && a.agreement === undefined)
      out.push({
        path: joinPath(path, 'analysis'),
        message: 'needs at least one gate: errorRate, latencyP99 or agreement',
      });
    const rawAnalysis = isPlainObject(value) && isPlainObject(value.analysis) ? value.analysis : {};
    for (const gate of ['errorRate', 'latencyP99'] as const) {
      const g = rawAnalysis[gate];
      if (isPlainObject(g) && Object.keys(g).length === 0)
        out.push({
          path: joinPath(joinPath(path, 'analysis'), gate),
          message: `sets no threshold; give ${gate === 'errorRate' ? 'max' : 'maxMs'} and/or vsStable`,
        });
    }
  }
  // Returned even with problems so the references are checked too; the route is refused anyway.
  return doc as unknown as RolloutSpec | undefined;
}

interface LooseVersion {
  name?: string;
  weight?: number;
}

/**
 * Checks the rollout against the route's versions and fills `stable` when it was left out.
 * The candidate and the stable version must both be versions of the route and differ.
 */
export function checkRolloutReferences(
  rollout: { candidate?: string; stable?: string } | undefined,
  versions: readonly (LooseVersion | undefined)[],
  out: Issue[],
): void {
  if (!rollout || typeof rollout.candidate !== 'string') return;
  const names = versions.map((v) => v?.name).filter((n): n is string => typeof n === 'string');
  const known = `(versions: ${names.join(', ')})`;
  if (!names.includes(rollout.candidate))
    out.push({
      path: 'spec.rollout.candidate',
      message: `unknown version ${JSON.stringify(rollout.candidate)} ${known}`,
    });
  if (rollout.stable === undefined) {
    const others = versions.filter((v) => v?.name !== undefined && v.name !== rollout.candidate);
    const best = others.reduce<LooseVersion | undefined>(
      (b, v) => ((v?.weight ?? 0) > (b?.weight ?? -1) ? v : b),
      undefined,
    );
    if (best?.name === undefined)
      out.push({ path: 'spec.rollout', message: `has no stable version to compare against ${known}` });
    else rollout.stable = best.name;
  } else if (!names.includes(rollout.stable)) {
    out.push({
      path: 'spec.rollout.stable',
      message: `unknown version ${JSON.stringify(rollout.stable)} ${known}`,
    });
  } else if (rollout.stable === rollout.candidate) {
    out.push({ path: 'spec.rollout.stable', message: 'must differ from candidate' });
  }
}

/** Milliseconds of a duration the schema already accepted. */
export function rolloutDurationMs(text: string): number {
  return Math.round((parseDurationNs(text) ?? 0) / 1e6);
}
