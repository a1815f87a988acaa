// Prometheus metrics of the control plane, one Registry per instance (tests run several).
// The xDS part is an XdsCallbacks implementation, so the server knows nothing about metrics.
import { status } from '@grpc/grpc-js';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RESOURCE_TYPES, type TypeUrl } from '../xds/resource-types.js';
import type { StreamContext, XdsCallbacks } from '../xds/server/stream-context.js';

const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class ControlPlaneMetrics implements XdsCallbacks {
  readonly registry = new Registry();
  private readonly streams = new Gauge({
    name: 'switchyard_xds_connected_streams',
    help: 'ADS streams connected, by client flavor and protocol',
    labelNames: ['flavor', 'protocol'],
    registers: [this.registry],
  });
  private readonly pushes = new Counter({
    name: 'switchyard_xds_pushes_total',
    help: 'xDS responses sent, by type',
    labelNames: ['type'],
    registers: [this.registry],
  });
  private readonly ackLatency = new Histogram({
    name: 'switchyard_xds_push_ack_seconds',
    help: 'Time from sending an xDS response to its ACK, by type',
    labelNames: ['type'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly nacks = new Counter({
    name: 'switchyard_xds_nacks_total',
    help: 'xDS responses rejected by clients, by type',
    labelNames: ['type'],
    registers: [this.registry],
  });
  private readonly stale = new Counter({
    name: 'switchyard_xds_stale_nonce_requests_total',
    help: 'Requests ignored because they carried a stale nonce, by type',
    labelNames: ['type'],
    registers: [this.registry],
  });
  private readonly slowReaders = new Counter({
    name: 'switchyard_xds_slow_reader_streams_closed_total',
    help: 'ADS streams closed because their responses stayed unread past the slow-reader timeout',
    labelNames: ['protocol'],
    registers: [this.registry],
  });
  private readonly refused = new Counter({
    name: 'switchyard_xds_streams_refused_total',
    help: 'xDS streams closed before they got anything (certificate, node id, per-client limit), by gRPC status',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly snapshotBuild = new Histogram({
    name: 'switchyard_snapshot_build_seconds',
    help: 'Time to translate, validate and encode one snapshot',
    labelNames: ['group'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly snapshotsRejected = new Counter({
    name: 'switchyard_snapshots_rejected_total',
    help: 'Snapshots not published, by reason (inconsistent, invalid resource)',
    labelNames: ['group', 'reason'],
    registers: [this.registry],
  });
  readonly pushesSaved = new Counter({
    name: 'switchyard_debounce_pushes_saved_total',
    help: 'Change events merged into an earlier push by debouncing',
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly policyErrors = new Gauge({
    name: 'switchyard_policy_files_invalid',
    help: 'Policy files currently rejected (their last good version keeps serving)',
    registers: [this.registry],
  });

  private labels(ctx: StreamContext) {
    return { flavor: ctx.flavor ?? 'unknown', protocol: ctx.protocol };
  }

  onNodeIdentified(ctx: StreamContext): void {
    this.streams.inc(this.labels(ctx));
  }

  onStreamClose(ctx: StreamContext): void {
    // Streams that never sent a request were never counted.
    if (ctx.flavor) this.streams.dec(this.labels(ctx));
  }

  onResponse(_ctx: StreamContext, type: TypeUrl): void {
    this.pushes.inc({ type: RESOURCE_TYPES[type].short });
  }

  onAck(_ctx: StreamContext, type: TypeUrl, _version: string, latencyMs: number): void {
    this.ackLatency.observe({ type: RESOURCE_TYPES[type].short }, latencyMs / 1000);
  }

  onNack(_ctx: StreamContext, type: TypeUrl): void {
    this.nacks.inc({ type: RESOURCE_TYPES[type].short });
  }

  onStaleNonce(_ctx: StreamContext, type: TypeUrl): void {
    this.stale.inc({ type: RESOURCE_TYPES[type].short });
  }
  /** Bounded: one series per error code, never per model. */
  readonly modelsNotServed = new Gauge({
    name: 'switchyard_models_not_served',
    help: 'Models or policies whose current document is not what clients get (a policy conflict, or resources that fail their checks), by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly modelRejections = new Counter({
    name: 'switchyard_model_rejections_total',
    help: 'Times a model or policy started failing and was held back while the rest published, by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });

  onSlowReaderClosed(ctx: StreamContext): void {
    this.slowReaders.inc({ protocol: ctx.protocol });
  }

  onStreamRefused(_ctx: StreamContext, code: number): void {
    this.refused.inc({ code: status[code] ?? String(code) });
  }
}
