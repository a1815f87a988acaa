// Prometheus metrics of endpoint discovery, registered in the control plane's registry. Pushes
// saved by coalescing go to the control plane's switchyard_debounce_pushes_saved_total with
// source="endpoints", next to the policy debouncer's.
import { Counter, Gauge, type Registry } from 'prom-client';

export class DiscoveryMetrics {
  readonly messages: Counter<'kind'>;
  readonly rejected: Counter<'kind' | 'reason'>;
  readonly pushes: Counter;
  readonly announces: Counter<'reason'>;
  readonly frozen: Gauge;
  readonly endpoints: Gauge<'state'>;

  constructor(registry: Registry, states: () => Record<string, number>) {
    const registers = [registry];
    this.messages = new Counter({
      name: 'switchyard_endpoint_messages_total',
      help: 'Pod messages accepted from NATS, by kind (register, heartbeat, drain, deregister)',
      labelNames: ['kind'],
      registers,
    });
    this.rejected = new Counter({
      name: 'switchyard_endpoint_messages_rejected_total',
      help: 'Pod messages dropped, by kind and reason (an error code, or stale for reordered ones)',
      labelNames: ['kind', 'reason'],
      registers,
    });
    this.pushes = new Counter({
      name: 'switchyard_endpoint_pushes_total',
      help: 'Snapshot rebuilds caused by endpoint changes, after coalescing',
      registers,
    });
    this.announces = new Counter({
      name: 'switchyard_endpoint_announces_total',
      help: 'Announce requests sent to the pods, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.frozen = new Gauge({
      name: 'switchyard_endpoint_table_frozen',
      help: '1 while NATS is unreachable and endpoint health is frozen (fail static)',
      registers,
    });
    this.endpoints = new Gauge({
      name: 'switchyard_endpoints',
      help: 'Discovered endpoints (pod x model version), by state',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        for (const [state, n] of Object.entries(states())) this.set({ state }, n);
      },
    });
  }
}
