// The figures of the per-call load report (kernel/grpc/least-load/load-report.ts): the
// ModelInfer calls the pod holds, and its busy time per finished call. Busy time counts only
// while at least one call is held, so for a pod that serves one call at a time it is the
// service time (queue wait excluded), and for one that runs k calls at once under load it
// approaches service time / k: in both cases what one more queued call adds.
import type { CallLoad } from '../../kernel/grpc/least-load/index.js';

/** Weight of the newest interval in the moving average: about the last ten calls count. */
const ALPHA = 0.2;

export class CallLoadGauge {
  private inflight = 0;
  private since = 0; // start of the current busy interval, or the last finish in it
  private costMs = Number.NaN;

  constructor(private readonly now: () => number = () => performance.now()) {}

  begin(): void {
    if (this.inflight++ === 0) this.since = this.now();
  }

  /** A held call finished; the report to attach to its answer. */
  end(): CallLoad {
    const now = this.now();
    const interval = Math.max(0, now - this.since);
    this.since = now;
    if (this.inflight > 0) this.inflight--;
    this.costMs = Number.isNaN(this.costMs) ? interval : this.costMs + ALPHA * (interval - this.costMs);
    // A zero cost would read as "unknown" to clients; a batch can finish many calls at once.
    return { inflight: this.inflight, costMs: Math.max(this.costMs, 0.001) };
  }
}
