// Prometheus metrics of a pod, on their own registry (several pods can live in one test
// process). Counters and histograms are fed by the serving path (InferenceObserver); gauges
// are read when scraped. The per-request counter and histograms are the pod's own
// (fast-counter.ts, fast-histogram.ts): prom-client's cost per observation was about 3 % of a
// busy pod's CPU, and these render the same text.
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { InferenceObserver, Outcome } from '../stats/observer.js';
import type { UtilizationSample } from '../stats/utilization.js';
import { type CounterSeries, FastCounter } from './fast-counter.js';
import { FastHistogram, type HistogramSeries } from './fast-histogram.js';

export interface GaugeSources {
  /** Per ready-or-unloading version: queue depth and in-flight requests. */
  versions(): Array<{ model: string; version: string; queueDepth: number; inFlight: number; ready: boolean }>;
  utilization(): UtilizationSample;
}

const LATENCY_BUCKETS = [
  0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/**
 * The label of a model or version the repository does not hold. Names come from request URLs
 * (`/v2/models/<anything>/infer`), so a label per name would let any caller grow the series
 * without bound; the repository is bounded, so the labels are too.
 */
export const UNKNOWN_LABEL = '_unknown';

type Mv = 'model' | 'version';

/** One version's series, looked up once rather than by labels on every call. */
interface Series {
  readonly labels: { model: string; version: string };
  readonly requests: Map<Outcome, CounterSeries>;
  readonly requestDuration: HistogramSeries<Mv>;
  readonly queueDuration: HistogramSeries<Mv>;
  readonly computeDuration: HistogramSeries<Mv>;
  readonly batchSize: HistogramSeries<Mv>;
}

export class PodMetrics implements InferenceObserver {
  readonly registry = new Registry();
  /**
   * By model, then version: only versions the repository holds, so callers cannot grow it;
   * cleared when they change. Two lookups rather than one by a joined key, which would build
   * and hash a new string on every call.
   */
  private readonly series = new Map<string, Map<string, Series>>();
  private readonly requests: FastCounter<Mv | 'outcome'>;
  private readonly requestDuration: FastHistogram<Mv>;
  private readonly queueDuration: FastHistogram<Mv>;
  private readonly computeDuration: FastHistogram<Mv>;
  private readonly batchSize: FastHistogram<Mv>;

  constructor(
    private readonly sources: GaugeSources,
    defaultMetrics = true,
  ) {
    const registers = [this.registry];
    const mv = ['model', 'version'] as const;
    this.requests = new FastCounter({
      name: 'switchyard_pod_inference_requests_total',
      help: 'Inference requests by model, version and outcome',
      labelNames: ['model', 'version', 'outcome'],
      registers,
    });
    this.requestDuration = new FastHistogram({
      name: 'switchyard_pod_request_duration_seconds',
      help: 'Successful inference requests, admission to response',
      labelNames: mv,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.queueDuration = new FastHistogram({
      name: 'switchyard_pod_queue_duration_seconds',
      help: 'Time requests waited in the batching queue',
      labelNames: mv,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.computeDuration = new FastHistogram({
      name: 'switchyard_pod_compute_duration_seconds',
      help: 'ONNX Runtime run time per batch',
      labelNames: mv,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.batchSize = new FastHistogram({
      name: 'switchyard_pod_batch_size',
      help: 'Rows per ONNX Runtime run',
      labelNames: mv,
      buckets: BATCH_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'switchyard_pod_in_flight_requests',
      help: 'Requests queued or running, per model version',
      labelNames: mv,
      registers,
      collect() {
        this.reset();
        for (const v of sources.versions()) this.set({ model: v.model, version: v.version }, v.inFlight);
      },
    });
    new Gauge({
      name: 'switchyard_pod_queue_depth',
      help: 'Requests waiting for a batch, per model version',
      labelNames: mv,
      registers,
      collect() {
        this.reset();
        for (const v of sources.versions()) this.set({ model: v.model, version: v.version }, v.queueDepth);
      },
    });
    new Gauge({
      name: 'switchyard_pod_model_ready',
      help: '1 when the model version serves requests',
      labelNames: mv,
      registers,
      collect() {
        this.reset();
        for (const v of sources.versions()) this.set({ model: v.model, version: v.version }, v.ready ? 1 : 0);
      },
    });
    new Gauge({
      name: 'switchyard_pod_cpu_utilization_ratio',
      help: 'Process CPU use over all cores (0..1), worker threads included',
      registers,
      collect() {
        this.set(sources.utilization().cpuPercent / 100);
      },
    });
    new Gauge({
      name: 'switchyard_pod_gpu_utilization_ratio',
      help: 'GPU utilization (0..1); absent without a GPU; simulated="true" for --report-gpu pods',
      labelNames: ['simulated'],
      registers,
      collect() {
        this.reset();
        const u = sources.utilization();
        if (u.gpuPercent !== undefined) this.set({ simulated: String(u.gpuSimulated) }, u.gpuPercent / 100);
      },
    });
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'switchyard_pod_' });
  }

  /** Labels of a request: its model and version if the repository holds them, else UNKNOWN_LABEL. */
  private labels(model: string, version: string): { model: string; version: string } {
    const known = this.sources.versions();
    if (!known.some((v) => v.model === model)) return { model: UNKNOWN_LABEL, version: UNKNOWN_LABEL };
    if (!known.some((v) => v.model === model && v.version === version))
      return { model, version: UNKNOWN_LABEL };
    return { model, version };
  }

  /** The repository's versions changed: labels are looked up again. */
  forgetLabels(): void {
    this.series.clear();
  }

  private seriesOf(model: string, version: string): Series {
    const cached = this.series.get(model)?.get(version);
    if (cached) return cached;
    const labels = this.labels(model, version);
    const s: Series = {
      labels,
      requests: new Map(),
      requestDuration: this.requestDuration.labels(labels),
      queueDuration: this.queueDuration.labels(labels),
      computeDuration: this.computeDuration.labels(labels),
      batchSize: this.batchSize.labels(labels),
    };
    if (labels.version !== UNKNOWN_LABEL) {
      let versions = this.series.get(model);
      if (!versions) {
        versions = new Map();
        this.series.set(model, versions);
      }
      versions.set(version, s);
    }
    return s;
  }

  queued(model: string, version: string, waitMs: number): void {
    this.seriesOf(model, version).queueDuration.observe(waitMs / 1000);
  }

  batch(model: string, version: string, rows: number, _requests: number, computeMs: number): void {
    const s = this.seriesOf(model, version);
    s.batchSize.observe(rows);
    s.computeDuration.observe(computeMs / 1000);
  }

  finished(model: string, version: string, outcome: Outcome, latencyMs: number): void {
    const s = this.seriesOf(model, version);
    let counter = s.requests.get(outcome);
    if (!counter) {
      counter = this.requests.labels({ ...s.labels, outcome });
      s.requests.set(outcome, counter);
    }
    counter.inc();
    if (outcome === 'success') s.requestDuration.observe(latencyMs / 1000);
  }
}
