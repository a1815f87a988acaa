// ORCA per-call load reports (gRFC A51; OrcaLoadReport in the `endpoint-load-metrics-bin`
// trailer, written by grpc-js when the server has `grpc.server_call_metric_recording`).
// Proxyless clients running client_side_weighted_round_robin (gRFC A58) weigh this pod by
// rps_fractional / application_utilization. The pod reports as utilization its mean ModelInfer
// latency in seconds (queue wait and run) over the last second, so the weight is its recent
// completions per second of latency, and the clients move traffic until every pod answers
// about as fast: a pod that is slow or whose queue grows loses traffic within one weight
// update. Why latency and not busy time: docs/ENDPOINTS.md, "Load reports (ORCA)".
import type { ServerUnaryCall } from '@grpc/grpc-js';

export const ORCA_CHANNEL_OPTIONS = { 'grpc.server_call_metric_recording': 1 } as const;

const BUCKET_MS = 100;
const BUCKETS = 10;

/** Completions, errors and summed latency over a sliding window of ten 100 ms buckets. */
export class LoadWindow {
  private readonly count = new Float64Array(BUCKETS);
  private readonly errors = new Float64Array(BUCKETS);
  private readonly latencyMs = new Float64Array(BUCKETS);
  private bucket = -1; // absolute index of the newest bucket

  constructor(private readonly now: () => number = () => performance.now()) {}

  private advance(): number {
    const abs = Math.floor(this.now() / BUCKET_MS);
    if (this.bucket < 0) this.bucket = abs;
    for (let b = this.bucket + 1; b <= abs && b <= this.bucket + BUCKETS; b++) {
      const i = b % BUCKETS;
      this.count[i] = 0;
      this.errors[i] = 0;
      this.latencyMs[i] = 0;
    }
    if (abs > this.bucket) this.bucket = abs;
    return abs % BUCKETS;
  }

  record(latencyMs: number, ok: boolean): void {
    const i = this.advance();
    this.count[i]! += 1;
    if (!ok) this.errors[i]! += 1;
    this.latencyMs[i]! += latencyMs;
  }

  /** Requests and errors per second and mean latency in seconds over the window. */
  report(): { rps: number; eps: number; utilization: number } {
    this.advance();
    let n = 0;
    let errs = 0;
    let ms = 0;
    for (let i = 0; i < BUCKETS; i++) {
      n += this.count[i]!;
      errs += this.errors[i]!;
      ms += this.latencyMs[i]!;
    }
    const seconds = (BUCKETS * BUCKET_MS) / 1000;
    return { rps: n / seconds, eps: errs / seconds, utilization: n ? ms / n / 1000 : 0 };
  }
}

/** Records one finished ModelInfer and writes the pod's load into that call's trailer. */
export function reportLoad(
  window: LoadWindow,
  call: ServerUnaryCall<unknown, unknown>,
  startedMs: number,
  ok: boolean,
): void {
  window.record(performance.now() - startedMs, ok);
  const r = window.report();
  const m = call.getMetricsRecorder();
  m.recordQpsMetric(r.rps);
  m.recordEpsMetric(r.eps);
  m.recordApplicationUtilizationMetric(r.utilization);
}
