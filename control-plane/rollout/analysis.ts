// The gates: a candidate's figures against its thresholds and against the stable version's
// figures over the same interval. Pure: figures in, a verdict with every number it used out,
// so each decision can be recorded and explained. docs/ROLLOUTS.md states the rules.
import { LATENCY_BUCKET_BOUNDS_MS } from '../../kernel/contract/latency-buckets.js';
import type { RolloutAnalysis } from '../policy/rollout.js';
import { p99Of, type VersionFigures } from './figures.js';

export type Outcome = 'pass' | 'fail' | 'inconclusive';
export type GateName = 'traffic' | 'errorRate' | 'latencyP99' | 'agreement';

export interface GateResult {
  readonly gate: GateName;
  readonly outcome: Outcome;
  /** The candidate's figure (error share 0..1, p99 ms, agreement 0..1, requests). */
  readonly candidate?: number;
  readonly stable?: number;
  /** The threshold the candidate was held to (the stricter of absolute and relative). */
  readonly threshold?: number;
  readonly detail: string;
}

export interface Verdict {
  readonly outcome: Outcome;
  readonly gates: readonly GateResult[];
  readonly candidate: VersionFigures;
  readonly stable: VersionFigures;
}

export type StepKind = 'weight' | 'mirror';

/**
 * Slack on the latency comparison with stable: sub-millisecond p99s differ by scheduling noise
 * alone, and 1.3x of 0.4 ms is no bound anyone meant. A regression must also exceed this.
 */
export const LATENCY_SLACK_MS = 1;

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : 'over every bucket');

function trafficGate(a: RolloutAnalysis, c: VersionFigures): GateResult {
  const enough = c.requests >= a.minRequests;
  return {
    gate: 'traffic',
    outcome: enough ? 'pass' : 'inconclusive',
    candidate: c.requests,
    threshold: a.minRequests,
    detail: enough
      ? `${c.requests} candidate requests >= ${a.minRequests}`
      : `only ${c.requests} candidate requests, fewer than minRequests ${a.minRequests}`,
  };
}

function errorGate(a: RolloutAnalysis, c: VersionFigures, s: VersionFigures): GateResult | undefined {
  const g = a.errorRate;
  if (!g) return undefined;
  // Certain already: even if every request still missing to minRequests succeeded, the share
  // would stay above max. Failing now instead of waiting is what makes a rollback take seconds.
  if (c.requests < a.minRequests) {
    if (g.max !== undefined && c.errors > g.max * a.minRequests)
      return {
        gate: 'errorRate',
        outcome: 'fail',
        candidate: c.errors / Math.max(1, c.requests),
        threshold: g.max,
        detail: `${c.errors} errors already exceed max ${pct(g.max)} of minRequests ${a.minRequests}`,
      };
    return { gate: 'errorRate', outcome: 'inconclusive', detail: 'waiting for minRequests' };
  }
  const rate = c.errors / c.requests;
  const stableRate = s.requests > 0 ? s.errors / s.requests : undefined;
  let threshold = g.max ?? Number.POSITIVE_INFINITY;
  if (g.vsStable !== undefined) {
    if (stableRate === undefined && g.max === undefined)
      return {
        gate: 'errorRate',
        outcome: 'inconclusive',
        candidate: rate,
        detail: 'stable version served nothing',
      };
    // One error of slack: against a stable share of 0, any single error would otherwise fail.
    if (stableRate !== undefined) threshold = Math.min(threshold, g.vsStable * stableRate + 1 / c.requests);
  }
  const ok = rate <= threshold;
  return {
    gate: 'errorRate',
    outcome: ok ? 'pass' : 'fail',
    candidate: rate,
    ...(stableRate !== undefined ? { stable: stableRate } : {}),
    threshold,
    detail: `${pct(rate)} ${ok ? '<=' : '>'} ${pct(threshold)}${stableRate !== undefined ? ` (stable ${pct(stableRate)})` : ''}`,
  };
}

/**
 * Requests known to be slower than `ms`: whole buckets above it; from a window summary, half
 * of them when its p50 is, one when only its p99 is.
 */
function slowerThan(f: VersionFigures, ms: number): number {
  if (f.latencyBuckets.length > 0)
    return f.latencyBuckets.reduce(
      (n, count, i) => n + ((i === 0 ? 0 : (LATENCY_BUCKET_BOUNDS_MS[i - 1] ?? 0)) >= ms ? count : 0),
      0,
    );
  if (f.p50Ms !== undefined && f.p50Ms > ms) return Math.ceil(f.requests / 2);
  return f.p99Ms !== undefined && f.p99Ms > ms ? 1 : 0;
}

/**
 * Before minRequests, like the error gate: a slow candidate also slows its own traffic, and
 * waiting for minRequests would leave it serving. When more requests are already slower than
 * the threshold than the 1 % a p99 over minRequests may hide, no later request can pass it.
 */
function earlyLatency(a: RolloutAnalysis, c: VersionFigures, s: VersionFigures): GateResult {
  const g = a.latencyP99!;
  const stableP99 = s.requests >= a.minRequests ? p99Of(s) : undefined;
  const relative =
    g.vsStable !== undefined && stableP99 !== undefined
      ? g.vsStable * stableP99 + LATENCY_SLACK_MS
      : undefined;
  const threshold = Math.min(g.maxMs ?? Number.POSITIVE_INFINITY, relative ?? Number.POSITIVE_INFINITY);
  const slow = Number.isFinite(threshold) ? slowerThan(c, threshold) : 0;
  if (slow > 0.01 * a.minRequests)
    return {
      gate: 'latencyP99',
      outcome: 'fail',
      candidate: p99Of(c) ?? Number.POSITIVE_INFINITY,
      ...(stableP99 !== undefined ? { stable: stableP99 } : {}),
      threshold,
      detail: `${slow} of ${c.requests} requests already slower than ${ms(threshold)}: the p99 over minRequests ${a.minRequests} cannot pass`,
    };
  return { gate: 'latencyP99', outcome: 'inconclusive', detail: 'waiting for minRequests' };
}

function latencyGate(a: RolloutAnalysis, c: VersionFigures, s: VersionFigures): GateResult | undefined {
  const g = a.latencyP99;
  if (!g) return undefined;
  if (c.requests < a.minRequests) return earlyLatency(a, c, s);
  const p99 = p99Of(c);
  if (p99 === undefined)
    return { gate: 'latencyP99', outcome: 'inconclusive', detail: 'no successful candidate request to time' };
  const stableP99 = s.requests >= a.minRequests ? p99Of(s) : undefined;
  let threshold = g.maxMs ?? Number.POSITIVE_INFINITY;
  if (g.vsStable !== undefined) {
    if (stableP99 === undefined && g.maxMs === undefined)
      return {
        gate: 'latencyP99',
        outcome: 'inconclusive',
        candidate: p99,
        detail: `stable version served fewer than ${a.minRequests} requests to compare with`,
      };
    if (stableP99 !== undefined) threshold = Math.min(threshold, g.vsStable * stableP99 + LATENCY_SLACK_MS);
  }
  const ok = p99 <= threshold;
  return {
    gate: 'latencyP99',
    outcome: ok ? 'pass' : 'fail',
    candidate: p99,
    ...(stableP99 !== undefined ? { stable: stableP99 } : {}),
    threshold,
    detail: `p99 ${ms(p99)} ${ok ? '<=' : '>'} ${ms(threshold)}${stableP99 !== undefined ? ` (stable ${ms(stableP99)})` : ''}`,
  };
}

/** `s`: the stable version's figures; its pods send the copies, so they report the comparisons. */
function agreementGate(a: RolloutAnalysis, s: VersionFigures): GateResult | undefined {
  const g = a.agreement;
  if (!g) return undefined;
  const compared = s.mirrorCompared ?? 0;
  if (compared < a.minRequests)
    return {
      gate: 'agreement',
      outcome: 'inconclusive',
      candidate: compared,
      detail: `only ${compared} mirrored answers compared, fewer than minRequests ${a.minRequests}`,
    };
  const share = (s.mirrorAgreed ?? 0) / compared;
  const ok = share >= g.min;
  return {
    gate: 'agreement',
    outcome: ok ? 'pass' : 'fail',
    candidate: share,
    threshold: g.min,
    detail: `${pct(share)} of ${compared} answers agree, ${ok ? '>=' : '<'} ${pct(g.min)}`,
  };
}

function combine(gates: readonly GateResult[]): Outcome {
  if (gates.some((g) => g.outcome === 'fail')) return 'fail';
  if (gates.some((g) => g.outcome === 'inconclusive')) return 'inconclusive';
  return 'pass';
}

/**
 * Judges one sample. A pass needs minRequests candidate requests and every configured gate
 * passing; too little traffic is inconclusive, never a pass. The agreement gate applies to
 * mirror steps only (weight steps have no comparisons to judge).
 */
export function analyze(
  a: RolloutAnalysis,
  kind: StepKind,
  candidate: VersionFigures,
  stable: VersionFigures,
): Verdict {
  const gates = [
    trafficGate(a, candidate),
    errorGate(a, candidate, stable),
    latencyGate(a, candidate, stable),
    kind === 'mirror' ? agreementGate(a, stable) : undefined,
  ].filter((g): g is GateResult => g !== undefined);
  return { outcome: combine(gates), gates, candidate, stable };
}
