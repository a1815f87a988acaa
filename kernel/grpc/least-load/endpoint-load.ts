// What one channel knows about one endpoint's load, and the pick over them: the least-load
// rule. Pure (clock and randomness passed in), so it is tested without grpc-js.
//
// An idle endpoint (no call ahead) is taken first, the fastest of them: a caller that waits on a
// busy fast pod while a slow one stands idle leaves capacity unused, which caps a closed loop's
// throughput (docs/ENDPOINTS.md, "Least load per call"). When none is idle, a new call on an
// endpoint is expected to finish after (calls ahead of it + 1) x cost: join the shortest queue,
// weighted by each pod's own service time. Calls ahead = this channel's own
// calls in flight there (exact) + the other clients' calls the pod held at its last answer to
// this channel (its report's in-flight figure less this channel's own calls at that moment).
// The second part matters because several channels share the pods; it is dropped once older
// than the report TTL (a channel that stopped sending to a pod must not avoid it forever).
import type { CallLoad } from './load-report.js';

export class EndpointLoad {
  /** This channel's calls started on the endpoint and not yet ended. */
  own = 0;
  private others = 0;
  private reportedAt = Number.NEGATIVE_INFINITY;
  /** Per-call cost from the pod's last report; NaN until one arrives. */
  costMs = Number.NaN;

  started(): void {
    this.own++;
  }

  ended(report: CallLoad | undefined, nowMs: number): void {
    if (this.own > 0) this.own--;
    if (!report) return;
    this.others = Math.max(0, report.inflight - this.own);
    this.costMs = report.costMs;
    this.reportedAt = nowMs;
  }

  /** Calls expected ahead of a new one. */
  ahead(nowMs: number, ttlMs: number): number {
    return this.own + (nowMs - this.reportedAt <= ttlMs ? this.others : 0);
  }
}

/**
 * The index of the fastest idle endpoint, or when none is idle the one where a new call is
 * expected to finish first; ties (and endpoints without a report, costed at the mean of the
 * others) are broken at random.
 */
export function chooseLeastLoad(
  loads: readonly EndpointLoad[],
  nowMs: number,
  ttlMs: number,
  random: () => number,
): number {
  let known = 0;
  let sum = 0;
  for (const l of loads)
    if (l.costMs > 0) {
      known++;
      sum += l.costMs;
    }
  const fallback = known ? sum / known : 1;
  let best = -1;
  let bestScore = Number.POSITIVE_INFINITY;
  let ties = 0;
  for (let i = 0; i < loads.length; i++) {
    const l = loads[i]!;
    const ahead = l.ahead(nowMs, ttlMs);
    const cost = l.costMs > 0 ? l.costMs : fallback;
    // Idle endpoints rank below every busy one (costs are positive, so -1 / cost < 0 < score).
    const score = ahead === 0 ? -1 / cost : (ahead + 1) * cost;
    if (score < bestScore) {
      best = i;
      bestScore = score;
      ties = 1;
    } else if (score === bestScore && random() * ++ties < 1) best = i;
  }
  return best;
}
