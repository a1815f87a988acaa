// ORCA load reports (gRFC A51), out of band: the pod serves `OpenRcaService` (grpc-js's
// ServerMetricRecorder) and each client's stream gets the latest figures at the period the client
// asks for. Not per call: grpc-js 1.14.7 parses orca.proto from disk for every per-call report,
// on the server and on the client (docs/ENDPOINTS.md, "Load reports (ORCA)").
// Proxyless clients running client_side_weighted_round_robin (gRFC A58) weigh this pod by
// rps_fractional / application_utilization. The pod reports its ModelInfer calls per second and,
// as utilization, that rate times the cube of its mean latency (queue wait and run) over the
// last second in units of 100 ms, so a client's weight is (100 ms / latency)^3: independent of
// how many calls the pod happened to get (weights proportional to the rate drift), steep enough
// that a pod twice as slow gets an eighth of the share, and near 1 for latencies near 100 ms.
// Why: docs/ENDPOINTS.md, "Load reports (ORCA)".
import {
  Metadata,
  type Server,
  ServerMetricRecorder,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import {
  asksForLoadReport,
  encodeCallLoad,
  LOAD_REPORT_REQUEST,
  LOAD_REPORT_TRAILER,
} from '../../kernel/grpc/least-load/index.js';
import { CallLoadGauge } from './call-load.js';
import type { GrpcFront } from './grpc-front.js';
import { OpenStreams } from './open-streams.js';

const BUCKET_MS = 100;
/** Latency at which a pod's weight is 1. */
export const REFERENCE_LATENCY_S = 0.1;
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
  report(): { rps: number; eps: number; latency: number } {
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
    return { rps: n / seconds, eps: errs / seconds, latency: n ? ms / n / 1000 : 0 };
  }
}

/**
 * The pod's load for the `OpenRcaService` stream, updated at every finished ModelInfer, and the
 * per-call report an answer carries in its trailers when its call asked (least-load clients).
 */
export class LoadReporter {
  private readonly window = new LoadWindow();
  private readonly recorder = new ServerMetricRecorder();
  private readonly calls = new CallLoadGauge();
  private updatedAt = Number.NEGATIVE_INFINITY;
  /** The StreamCoreMetrics calls open now: they end only when the client goes, or at endStreams(). */
  readonly streams = new OpenStreams();

  /** Serves `xds.service.orca.v3.OpenRcaService` on `server`. */
  addTo(server: GrpcFront): void {
    // The recorder only calls addService, which both transports have; its handlers are tracked.
    const tracking = {
      addService: (def: unknown, impl: UntypedServiceImplementation) =>
        server.addService(def as Parameters<GrpcFront['addService']>[0], this.streams.track(impl)),
    };
    this.recorder.addToServer(tracking as unknown as Server);
  }

  /** Ends every open StreamCoreMetrics call UNAVAILABLE (the pod is closing). */
  endStreams(): void {
    this.streams.endAll();
  }

  /** A ModelInfer call is held from here until record(). */
  begin(): void {
    this.calls.begin();
  }

  /**
   * The call begun at `startedMs` finished; with `report` (the call asked: wantsLoadReport), the
   * load report its answer carries in the LOAD_REPORT_TRAILER trailer (loadTrailer).
   */
  record(startedMs: number, ok: boolean, report = false): Buffer | undefined {
    const load = this.calls.end();
    const bytes = report ? encodeCallLoad(load) : undefined;
    const now = performance.now();
    this.window.record(now - startedMs, ok);
    // The streams read the recorder every few seconds at most; summing the window for every
    // call (thousands a second) only to overwrite the figures was wasted. The first call of each
    // bucket updates them: at most a bucket (100 ms) behind.
    if (now - this.updatedAt < BUCKET_MS) return bytes;
    this.updatedAt = now;
    const r = this.window.report();
    this.recorder.setQpsMetric(r.rps);
    this.recorder.setEpsMetric(r.eps);
    this.recorder.setApplicationUtilizationMetric(r.rps * (r.latency / REFERENCE_LATENCY_S) ** 3);
    return bytes;
  }
}

/**
 * Whether the call asked for a load report (LOAD_REPORT_REQUEST), read as its transport holds
 * request headers: the pod's h2 calls without building their Metadata.
 */
export function wantsLoadReport(call: object): boolean {
  const h2 = call as { rawHeader?: (name: string) => unknown };
  if (h2.rawHeader) return asksForLoadReport(h2.rawHeader(LOAD_REPORT_REQUEST));
  return asksForLoadReport((call as { metadata: Metadata }).metadata.get(LOAD_REPORT_REQUEST)[0]);
}

/**
 * A call's load report as its transport sends trailers: the pod's h2 calls take it directly
 * (H2Call.binaryTrailer, base64 as Metadata would send it); grpc-js's calls as Metadata.
 */
export function loadTrailer(call: object, report: Buffer | undefined): Metadata | undefined {
  if (!report) return undefined;
  const h2 = call as { binaryTrailer?: (name: string, value: Buffer) => void };
  if (h2.binaryTrailer) {
    h2.binaryTrailer(LOAD_REPORT_TRAILER, report);
    return undefined;
  }
  const trailers = new Metadata();
  trailers.set(LOAD_REPORT_TRAILER, report);
  return trailers;
}
