// What prom-client's Registry reads from a metric, for the pod's own counters and histograms
// (fast-counter.ts, fast-histogram.ts). The Registry never checks a metric's class: `metrics()`
// reads `getForPromString()` (else `get()`), `getMetricsAsJSON()` reads `get()`,
// `resetMetrics()` calls `reset()`, and `registerMetric` keys on `name`. Anything of that shape
// is rendered exactly as prom-client renders its own.
import type { Metric, Registry, RegistryContentType } from 'prom-client';

type AnyRegistry = Registry<RegistryContentType>;

/** One line of a metric, as prom-client's Registry renders it. */
export interface ExportedValue {
  value: number;
  /** Rendered first, in key order (a histogram's `le`, or a counter's series labels). */
  labels: Record<string, string | number>;
  /** Rendered after `labels`; a histogram's series labels. */
  sharedLabels?: Readonly<Record<string, string>>;
  /** The line's name when it is not the metric's own (`_bucket`, `_sum`, `_count`). */
  metricName?: string;
  exemplar?: null;
}

export interface ExportedMetric {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  values: ExportedValue[];
  /** How prom-client's cluster aggregation combines workers; the pod runs no cluster. */
  aggregator: 'sum';
}

export interface FastMetricConfig<L extends string> {
  name: string;
  help: string;
  /** Label names; each series' labels are rendered in this order. */
  labelNames: readonly L[];
  registers: readonly AnyRegistry[];
}

/** Puts a metric of the Registry's shape on registries; typed as prom-client's own classes. */
export function registerOn(registers: readonly AnyRegistry[], metric: object): void {
  for (const r of registers) r.registerMetric(metric as unknown as Metric);
}

/**
 * Series of one metric, in the order of their first observation (prom-client lists series in
 * the order its label-hash map first saw them; /metrics keeps that order).
 */
export class SeriesTable<L extends string, S> {
  private readonly byKey = new Map<string, S>();
  /** Series observed since the last reset, oldest first. */
  readonly live: S[] = [];

  constructor(
    readonly labelNames: readonly L[],
    private readonly create: (labels: Readonly<Record<L, string>>) => S,
  ) {}

  /** The series of these labels, made once and found again for equal labels (not per call). */
  get(labels: Readonly<Record<L, string>>): S {
    // A NUL never appears in a label value that came through a URL or a model directory name,
    // so joined values identify a series.
    const key = this.labelNames.map((n) => labels[n]).join('\u0000');
    let s = this.byKey.get(key);
    if (!s) {
      const ordered = {} as Record<L, string>;
      for (const n of this.labelNames) ordered[n] = labels[n];
      s = this.create(Object.freeze(ordered));
      this.byKey.set(key, s);
    }
    return s;
  }

  /** Called by a series on its first observation after a reset. */
  enlist(s: S): void {
    this.live.push(s);
  }

  clearLive(): void {
    this.live.length = 0;
  }
}
