// A counter for the pod's per-request series, rendered byte for byte as prom-client's Counter
// renders (series in order of first increment). prom-client's inc validates and hashes the
// label object on every call; here a series is found once and inc is one addition.
import { type ExportedMetric, type FastMetricConfig, registerOn, SeriesTable } from './fast-metric.js';

export class CounterSeries<L extends string = string> {
  /** A Float64Array slot: the count stays a double in place, never a boxed field. */
  readonly value = new Float64Array(1);
  private live = false;

  constructor(
    readonly labels: Readonly<Record<L, string>>,
    private readonly table: SeriesTable<L, CounterSeries<L>>,
  ) {}

  /**
   * Adds `by` (1 unless given). A negative or non-finite `by` is dropped: prom-client throws on
   * those (and adds a NaN), and the serving path must not throw.
   */
  inc(by = 1): void {
    if (!(by >= 0 && by !== Number.POSITIVE_INFINITY)) return;
    this.value[0]! += by;
    if (!this.live) this.show();
  }

  /** Rendered from now on, even before anything is counted. */
  show(): void {
    if (this.live) return;
    this.live = true;
    this.table.enlist(this);
  }

  clear(): void {
    this.value[0] = 0;
    this.live = false;
  }
}

export class FastCounter<L extends string> {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  /** Writable: an OpenMetrics registry renames counters in place when it renders them. */
  name: string;
  readonly help: string;
  private readonly table: SeriesTable<L, CounterSeries<L>>;

  constructor(config: FastMetricConfig<L>) {
    this.name = config.name;
    this.help = config.help;
    this.table = new SeriesTable(config.labelNames, (labels) => new CounterSeries(labels, this.table));
    // As prom-client's: a counter without labels is rendered at 0 from the start.
    if (config.labelNames.length === 0) this.labels({} as Record<L, string>).show();
    registerOn(config.registers, this);
  }

  /** The series of these labels: look it up once and keep it, then inc on it. */
  labels(labels: Readonly<Record<L, string>>): CounterSeries<L> {
    return this.table.get(labels);
  }

  get(): Promise<ExportedMetric> {
    return Promise.resolve({
      help: this.help,
      name: this.name,
      type: this.type,
      values: this.table.live.map((s) => ({ value: s.value[0]!, labels: s.labels })),
      aggregator: this.aggregator,
    });
  }

  reset(): void {
    for (const s of this.table.live) s.clear();
    this.table.clearLive();
    if (this.table.labelNames.length === 0) this.labels({} as Record<L, string>).show();
  }
}
