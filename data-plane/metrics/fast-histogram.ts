// A histogram for the pod's per-request series, rendered byte for byte as prom-client's
// Histogram renders (same `le` values, cumulative buckets, `+Inf`, `_sum`, `_count`, series in
// order of first observation). prom-client's observe validates and hashes the label object and
// looks the bucket up in an object keyed by bound on every call; here a series is one
// Float64Array found once, and observe is a short scan of the bounds and two increments.
import {
  type ExportedMetric,
  type ExportedValue,
  type FastMetricConfig,
  registerOn,
  SeriesTable,
} from './fast-metric.js';

export interface FastHistogramConfig<L extends string> extends FastMetricConfig<L> {
  /** Upper bounds; as in prom-client, each is rendered as `le` by its JavaScript string. */
  buckets: readonly number[];
}

export class HistogramSeries<L extends string = string> {
  /**
   * Per bucket its own count (not cumulative), then the count above the last bound, then the
   * sum: counts stay exact doubles below 2^53, and the sum adds in the order prom-client's does.
   */
  readonly values: Float64Array;
  private live = false;

  constructor(
    readonly labels: Readonly<Record<L, string>>,
    private readonly bounds: Float64Array,
    private readonly table: SeriesTable<L, HistogramSeries<L>>,
  ) {
    this.values = new Float64Array(bounds.length + 2);
  }

  /**
   * Counts one value. NaN and ±Infinity are dropped (prom-client throws on them; the serving
   * path must not, and a non-finite sum would spoil the series for good).
   */
  observe(value: number): void {
    if (value - value !== 0) return;
    const bounds = this.bounds;
    const n = bounds.length;
    let i = 0;
    while (i < n && value > bounds[i]!) i++;
    const v = this.values;
    v[i]!++;
    v[n + 1]! += value;
    if (!this.live) this.show();
  }

  /** Rendered from now on, even before anything is counted. */
  show(): void {
    if (this.live) return;
    this.live = true;
    this.table.enlist(this);
  }

  /** Back to no observations, and off the rendered series until the next one. */
  clear(): void {
    this.values.fill(0);
    this.live = false;
  }
}

export class FastHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  private readonly buckets: readonly number[];
  private readonly table: SeriesTable<L, HistogramSeries<L>>;

  constructor(config: FastHistogramConfig<L>) {
    this.name = config.name;
    this.help = config.help;
    // Prometheus needs ascending bounds; sorting keeps the scan in observe correct.
    this.buckets = Object.freeze([...config.buckets].sort((a, b) => a - b));
    const bounds = Float64Array.from(this.buckets);
    this.table = new SeriesTable(
      config.labelNames,
      (labels) => new HistogramSeries(labels, bounds, this.table),
    );
    // As prom-client's: a histogram without labels is rendered (all zero) from the start, but
    // not again after a reset.
    if (config.labelNames.length === 0) this.labels({} as Record<L, string>).show();
    registerOn(config.registers, this);
  }

  /** The series of these labels: look it up once and keep it, then observe on it. */
  labels(labels: Readonly<Record<L, string>>): HistogramSeries<L> {
    return this.table.get(labels);
  }

  /** What the Registry renders as text: a series' labels are shared by its lines. */
  getForPromString(): Promise<ExportedMetric> {
    const bucketName = `${this.name}_bucket`;
    const sumName = `${this.name}_sum`;
    const countName = `${this.name}_count`;
    const n = this.buckets.length;
    const values: ExportedValue[] = [];
    for (const s of this.table.live) {
      const v = s.values;
      const sharedLabels = s.labels;
      let acc = 0;
      for (let i = 0; i < n; i++) {
        acc += v[i]!;
        values.push({
          labels: { le: this.buckets[i]! },
          sharedLabels,
          value: acc,
          metricName: bucketName,
          exemplar: null,
        });
      }
      const count = acc + v[n]!;
      values.push(
        { labels: { le: '+Inf' }, sharedLabels, value: count, metricName: bucketName, exemplar: null },
        { labels: {}, sharedLabels, value: v[n + 1]!, metricName: sumName },
        { labels: {}, sharedLabels, value: count, metricName: countName },
      );
    }
    return Promise.resolve(this.exported(values));
  }

  /** What `getMetricsAsJSON()` returns: each line's labels with its series' labels merged in. */
  async get(): Promise<ExportedMetric> {
    const data = await this.getForPromString();
    data.values = data.values.map(({ sharedLabels, labels, ...rest }) => ({
      ...rest,
      labels: { ...labels, ...sharedLabels },
    }));
    return data;
  }

  reset(): void {
    for (const s of this.table.live) s.clear();
    this.table.clearLive();
  }

  private exported(values: ExportedValue[]): ExportedMetric {
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
