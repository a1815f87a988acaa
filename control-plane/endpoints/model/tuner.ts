// The auto-tuner: one endpoint's load-balancing weight from its headroom. Pure (the caller
// passes the time), so the formula can be tested exactly; docs/ENDPOINTS.md explains the choices.
//
//   utilization  fu = 1                                  if u <= knee  (u, knee: fractions 0..1)
//                     max(floor, (1 - u) / (1 - knee))   above the knee
//   queue        fq = 1 / (1 + max(0, queueDepth - queueKnee) / queueScale)
//                (a sample, not a window: a few queued requests are bursts, not a verdict)
//   latency      fl = min over the objectives O_q of f(L_q, O_q, slack_q), where
//                f(L, O, a) = 1 if L <= O * (1 + a), else max(floor, (O * (1 + a) / L)^k)
//                (k: latencyExponent). With a latency objective in the policy: the endpoint's
//                p99 against it (slack latencySlack). Without: its p50 against the lower median
//                of its peers' p50 (latencySlack: the middle tells a slow pod) and its p99
//                against theirs (tailSlack, wider: the tail tells a queue building, but it is
//                noisy, so only a clear excess counts)
//   errors       fe = max(floor, 1 - errorScale * errorRate)
//   raw          r  = fu * fq * fl * fe                  (0..1]
//   smoothed     s += (1 - exp(-dt / tau)) * (r - s)     (EWMA over time, not over samples;
//                                                        tau = tauDown when r < s, else tauUp)
//   target       t  = clamp(round(maxWeight * s), minWeight, maxWeight)
//   published    w  moves to t only when |t - w| >= max(1, deadband * w)   (hysteresis)
//                   or t is minWeight or maxWeight (so idle endpoints return to exactly full),
//                   and by at most a factor stepDown per update down, stepUp per second up
//                   (at least 1 per update)                                (bounded step)
//
// Weights fall fast and climb slowly (like AIMD): a pod that turns slow loses its traffic within
// a few heartbeats, and one that recovers is given traffic back gradually, so a queue that
// built up is not refilled at once and the weights do not swing back and forth.
//
// Latency and errors need evidence: with fewer than minRequests requests in the pod's window
// the previous fl / fe are kept, so an endpoint that was starved of traffic is not suddenly
// declared fast because nobody measured it. (When no endpoint of a version has evidence the
// version is idle, and the table lets those verdicts lapse: tune-version.ts.)

import { type Utilization, utilization } from './utilization.js';

export interface TunerParams {
  /** Weight of an endpoint with full headroom. */
  readonly maxWeight: number;
  /** Never zero: a starved endpoint still gets a trickle, so its recovery can be seen. */
  readonly minWeight: number;
  /** Utilization up to which an endpoint counts as having full headroom. */
  readonly utilizationKnee: Utilization;
  /** Queued requests that halve the queue factor. */
  readonly queueScale: number;
  /** Queued requests that cost nothing (bursts; the pod's worker pipeline). */
  readonly queueKnee: number;
  /** How far above the objective the latency may be before it costs weight (0.25: 25 %). */
  readonly latencySlack: number;
  /** The same for p99 against the peers' p99 (1: twice theirs before it costs). */
  readonly tailSlack: number;
  /**
   * How sharply latency beyond the slack costs weight. 3: an endpoint twice as slow as allowed
   * keeps an eighth, so a 4x slower pod drops to a few percent of the traffic.
   */
  readonly latencyExponent: number;
  /** Error rate multiplier: 0.1 errors with errorScale 2 leave 0.8. */
  readonly errorScale: number;
  /** Lowest value of any single factor. */
  readonly floor: number;
  /** Requests in the window before latency and errors are trusted. */
  readonly minRequests: number;
  /** EWMA time constants while the raw headroom is below, and above, the smoothed score. */
  readonly tauDownMs: number;
  readonly tauUpMs: number;
  /** Relative change of the target needed before the published weight moves. */
  readonly deadband: number;
  /** Largest factor by which the published weight may shrink in one update... */
  readonly stepDown: number;
  /** ...and grow in one second. */
  readonly stepUp: number;
}

export const DEFAULT_TUNER: TunerParams = {
  maxWeight: 100,
  minWeight: 1,
  utilizationKnee: utilization(0.6),
  queueScale: 4,
  queueKnee: 4,
  latencySlack: 0.25,
  tailSlack: 1,
  latencyExponent: 3,
  errorScale: 2,
  floor: 0.02,
  minRequests: 5,
  tauDownMs: 1000,
  tauUpMs: 4000,
  deadband: 0.1,
  stepDown: 2,
  stepUp: 1.25,
};

/** What one heartbeat says about one endpoint (a pod serving one model version). */
export interface LoadSignals {
  /** GPU utilization for GPU endpoints, CPU for the others; absent when unknown. */
  readonly utilization?: Utilization;
  readonly queueDepth: number;
  /** Over the pod's stats window; 0 when nothing completed. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errorRate: number;
  /** Requests in the pod's stats window. */
  readonly requests: number;
}

/** Latency bounds per percentile, in ms: the policy's p99 objective, or the peers' figures. */
export interface LatencyObjective {
  readonly p50?: number;
  readonly p99?: number;
  /** The p99 bound is the peers' (tailSlack), not a policy objective (latencySlack). */
  readonly peers?: boolean;
}

export interface Factors {
  readonly utilization: number;
  readonly queue: number;
  /** Undefined when there is not enough evidence (see minRequests). */
  readonly latency?: number;
  readonly error?: number;
}

export interface TunerState {
  /** Smoothed headroom, 0..1. */
  readonly score: number;
  /** Last trusted latency and error factors. */
  readonly latency: number;
  readonly error: number;
  /** The weight in EDS. */
  readonly weight: number;
  readonly atMs: number;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

function safeWeight(w: number, p: TunerParams): number {
  return Number.isFinite(w) ? clamp(Math.round(w), p.minWeight, p.maxWeight) : p.minWeight;
}

function trusted(factor: number | undefined): number | undefined {
  return factor !== undefined && Number.isFinite(factor) ? factor : undefined;
}

/** A factor product that is not a finite 0..1 says nothing: the previous score stands. */
function saneScore(raw: number, prev: number | undefined): number {
  if (Number.isFinite(raw)) return clamp(raw, 0, 1);
  return prev !== undefined && Number.isFinite(prev) ? prev : 1;
}

function latencyFactor(
  latencyMs: number,
  objectiveMs: number | undefined,
  slack: number,
  p: TunerParams,
): number {
  if (objectiveMs === undefined || latencyMs <= 0) return 1;
  const allowed = objectiveMs * (1 + slack);
  return latencyMs <= allowed ? 1 : Math.max(p.floor, (allowed / latencyMs) ** p.latencyExponent);
}

export function headroomFactors(s: LoadSignals, objective: LatencyObjective, p: TunerParams): Factors {
  const u = s.utilization;
  const utilization =
    u === undefined || u <= p.utilizationKnee
      ? 1
      : Math.max(p.floor, (1 - Math.min(1, u)) / (1 - p.utilizationKnee));
  const queue = 1 / (1 + Math.max(0, s.queueDepth - p.queueKnee) / p.queueScale);
  const evidence = s.requests >= p.minRequests;
  const latency = evidence
    ? Math.min(
        latencyFactor(s.p50Ms, objective.p50, p.latencySlack, p),
        latencyFactor(s.p99Ms, objective.p99, objective.peers ? p.tailSlack : p.latencySlack, p),
      )
    : undefined;
  const error = evidence ? Math.max(p.floor, 1 - p.errorScale * clamp(s.errorRate, 0, 1)) : undefined;
  return {
    utilization,
    queue,
    ...(latency !== undefined ? { latency } : {}),
    ...(error !== undefined ? { error } : {}),
  };
}

/**
 * The weight for a smoothed score, before hysteresis. Decoding already rejects non-finite
 * signals; this is the last line: a weight is always an integer in minWeight..maxWeight, never
 * NaN, because one NaN weight would make the whole ClusterLoadAssignment unencodable.
 */
export function targetWeight(score: number, p: TunerParams): number {
  if (!Number.isFinite(score)) return p.minWeight;
  return clamp(Math.round(score * p.maxWeight), p.minWeight, p.maxWeight);
}

/** Hysteresis and bounded step from the published weight towards the target. */
export function nextWeight(current: number, target: number, p: TunerParams, dtMs = 1000): number {
  if (!Number.isFinite(current)) return safeWeight(target, p);
  if (!Number.isFinite(target)) return safeWeight(current, p);
  const bound = target === p.maxWeight || target === p.minWeight;
  if (!bound && Math.abs(target - current) < Math.max(1, p.deadband * current)) return current;
  if (target === current) return current;
  const lo = Math.max(p.minWeight, Math.ceil(current / p.stepDown));
  const hi = Math.min(p.maxWeight, Math.max(current + 1, Math.floor(current * p.stepUp ** (dtMs / 1000))));
  return clamp(target, lo, hi);
}

/**
 * One update from a fresh heartbeat. The first sample sets the score directly, so a control
 * plane that restarts reaches the same weights as the one before it for the same signals.
 */
export function tuneStep(
  prev: TunerState | undefined,
  s: LoadSignals,
  objective: LatencyObjective,
  nowMs: number,
  p: TunerParams,
): TunerState {
  const f = headroomFactors(s, objective, p);
  const latency = trusted(f.latency) ?? prev?.latency ?? 1;
  const error = trusted(f.error) ?? prev?.error ?? 1;
  const raw = saneScore(f.utilization * f.queue * latency * error, prev?.score);
  if (!prev) {
    return { score: raw, latency, error, weight: targetWeight(raw, p), atMs: nowMs };
  }
  const dt = Math.max(0, nowMs - prev.atMs);
  const alpha = 1 - Math.exp(-dt / (raw < prev.score ? p.tauDownMs : p.tauUpMs));
  const score = saneScore(prev.score + alpha * (raw - prev.score), raw);
  return {
    score,
    latency,
    error,
    weight: nextWeight(prev.weight, targetWeight(score, p), p, dt),
    atMs: nowMs,
  };
}

/**
 * The latency objective of a version when its policy sets none: the lower median of its
 * endpoints' latencies (those with evidence), so a minority of slow endpoints cannot drag the
 * reference towards themselves. Undefined with no evidence at all.
 */
export function peerReference(latencies: readonly number[]): number | undefined {
  const xs = latencies.filter((x) => x > 0).sort((a, b) => a - b);
  if (xs.length === 0) return undefined;
  return xs[Math.floor((xs.length - 1) / 2)];
}
