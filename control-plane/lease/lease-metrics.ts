// The lease on /metrics: whether this replica leads and with which fencing token, read at scrape
// time, so a dashboard can alert on zero or two leaders across replicas.
import { Gauge, type Registry } from 'prom-client';
import type { Lease } from './lease.js';

export function registerLeaseMetrics(lease: Lease, registry: Registry): void {
  new Gauge({
    name: 'switchyard_lease_held',
    help: 'Whether this replica holds the lease of a job group (1) or not (0)',
    labelNames: ['group'],
    registers: [registry],
    collect() {
      this.set({ group: lease.group }, lease.isHeld() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'switchyard_lease_token',
    help: 'Fencing token of the lease term this replica last saw (its own when it leads)',
    labelNames: ['group'],
    registers: [registry],
    collect() {
      this.set({ group: lease.group }, lease.status().token ?? 0);
    },
  });
}
