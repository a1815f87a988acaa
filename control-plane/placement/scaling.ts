// The scaling signal: how many replicas a version wants, from what its ready replicas report.
// Pure; the same rule as Kubernetes' HPA (desired = ceil(current x ratio)) over three ratios,
// the largest winning: utilization / UTILIZATION_TARGET, queued requests per replica /
// QUEUE_TARGET, and p99 / the route's latency objective. Inside the tolerance band nothing
// changes (no flapping on noise); the result is clamped into [min, max]. docs/PLACEMENT.md.

export const UTILIZATION_TARGET = 0.7;
/** Queued requests per replica a version may carry before it wants more replicas. */
export const QUEUE_TARGET = 4;
export const TOLERANCE = 0.1;

export interface ScalingSignal {
  /** Replicas reporting the version ready. */
  readonly ready: number;
  /** Mean utilization (0..1) of the pods holding it; undefined without heartbeats. */
  readonly utilization?: number;
  /** Queued requests across its replicas. */
  readonly queueDepth: number;
  /** Worst p99 across replicas, in ms; undefined without traffic. */
  readonly p99Ms?: number;
  /** The route's latencyObjective in ms, when it has one. */
  readonly objectiveMs?: number;
}

export interface ScalingDecision {
  readonly desired: number;
  /** Which ratio decided, for the API: utilization, queue, latency, hold, floor. */
  readonly driver: 'utilization' | 'queue' | 'latency' | 'hold' | 'floor';
  readonly ratio: number;
}

export function desiredReplicas(sig: ScalingSignal, min: number, max: number): ScalingDecision {
  const clampTo = (n: number) => Math.min(max, Math.max(min, n));
  if (sig.ready === 0) return { desired: clampTo(Math.max(min, 1)), driver: 'floor', ratio: 0 };
  // No heartbeat yet: nothing to go on, so keep what there is.
  if (sig.utilization === undefined) return { desired: clampTo(sig.ready), driver: 'hold', ratio: 1 };
  const ratios: [ScalingDecision['driver'], number][] = [
    ['utilization', sig.utilization / UTILIZATION_TARGET],
  ];
  ratios.push(['queue', sig.queueDepth / sig.ready / QUEUE_TARGET]);
  if (sig.p99Ms !== undefined && sig.objectiveMs !== undefined && sig.objectiveMs > 0)
    ratios.push(['latency', sig.p99Ms / sig.objectiveMs]);
  const [driver, ratio] = ratios.reduce((a, b) => (b[1] > a[1] ? b : a));
  if (Math.abs(ratio - 1) <= TOLERANCE) return { desired: clampTo(sig.ready), driver: 'hold', ratio };
  return { desired: clampTo(Math.ceil(sig.ready * ratio)), driver, ratio };
}
