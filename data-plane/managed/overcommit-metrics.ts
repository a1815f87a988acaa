// A managed pod's overcommit metrics, on the pod's registry. Labels are fixed sets over the
// versions assigned to the pod (never names from requests), so the series stay bounded.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const WAIT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class OvercommitMetrics {
  readonly loads: Counter<'model' | 'version' | 'result'>;
  readonly unloads: Counter<'model' | 'version'>;
  readonly wait: Histogram<'model' | 'version' | 'result'>;

  constructor(registry: Registry, source: () => { readonly standbyCount: number } | undefined) {
    const registers = [registry];
    this.loads = new Counter({
      name: 'switchyard_pod_ondemand_loads_total',
      help: 'Loads of a standby (assigned, unloaded) version started by a request, by result (loaded, failed)',
      labelNames: ['model', 'version', 'result'],
      registers,
    });
    this.unloads = new Counter({
      name: 'switchyard_pod_lru_unloads_total',
      help: 'Idle versions unloaded, least recently used first, to make room for a load on demand',
      labelNames: ['model', 'version'],
      registers,
    });
    this.wait = new Histogram({
      name: 'switchyard_pod_ondemand_load_wait_seconds',
      help: 'How long a request waited for its version to load on demand, by result (loaded, failed, deadline)',
      labelNames: ['model', 'version', 'result'],
      buckets: WAIT_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'switchyard_pod_standby_versions',
      help: 'Versions assigned to the pod whose artifact is cached and verified but not loaded',
      registers,
      collect() {
        this.set(source()?.standbyCount ?? 0);
      },
    });
  }
}
