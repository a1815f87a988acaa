// The pod's OpenTelemetry tracing, on only with --otlp-endpoint: a tracer provider of its own
// (nothing global, so several pods can share a process in tests), a parent-based sampler (a
// caller's sampled flag decides; requests without a trace are sampled at --trace-sampling), the
// W3C trace-context propagator (`traceparent`, `tracestate`), and a batch span processor that
// exports over OTLP/HTTP protobuf. Export failures stay inside the SDK (its diagnostics logger,
// silent by default): a collector that is down costs spans, never requests. The processor's
// queue is bounded, so a slow collector costs spans too, never memory.
import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  SpanKind,
  type TextMapGetter,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { nowMs, RequestTrace } from './request-trace.js';

export interface TracingOptions {
  /** The OTLP/HTTP traces URL spans are POSTed to (e.g. http://collector:4318/v1/traces). */
  readonly endpoint: string;
  /** Share (0..1) of requests without a sampled parent that are traced. */
  readonly sampleRatio: number;
  /** Longest wait between exports (default 5 s, the SDK's). */
  readonly exportDelayMs?: number;
}

export interface TraceStart {
  readonly name: string;
  readonly model: string;
  readonly version?: string;
  readonly attributes: Attributes;
}

/** How long close() waits for the last spans to leave before giving up on them. */
const SHUTDOWN_MS = 3000;

export class PodTracer {
  private readonly provider: TracerProvider;
  private readonly tracer: Tracer;
  private readonly propagator = new W3CTraceContextPropagator();

  constructor(
    readonly opts: TracingOptions,
    service: { readonly version: string; readonly instanceId: string },
  ) {
    this.provider = new TracerProvider({
      resource: resourceFromAttributes({
        [ATTR_SERVICE_NAME]: 'switchyard-pod',
        [ATTR_SERVICE_VERSION]: service.version,
        'service.instance.id': service.instanceId,
      }),
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(opts.sampleRatio) }),
      // Paths and model names come from callers: a bound keeps a span small whatever they send.
      spanLimits: { attributeValueLengthLimit: 512 },
      spanProcessors: [
        new BatchSpanProcessor({
          exporter: new OTLPTraceExporter({ url: opts.endpoint, timeoutMillis: 10_000 }),
          ...(opts.exportDelayMs !== undefined ? { scheduledDelayMillis: opts.exportDelayMs } : {}),
        }),
      ],
    });
    this.tracer = this.provider.getTracer('switchyard-pod', service.version);
  }

  /**
   * The request's spans, continuing the trace in `carrier` (headers or gRPC metadata); undefined
   * when the request is not sampled, so an unsampled request costs no more spans.
   */
  start<C>(carrier: C, getter: TextMapGetter<C>, s: TraceStart): RequestTrace | undefined {
    const parent = this.propagator.extract(ROOT_CONTEXT, carrier, getter);
    const root = this.tracer.startSpan(
      s.name,
      { kind: SpanKind.SERVER, attributes: s.attributes, startTime: nowMs() },
      parent,
    );
    if (!root.isRecording()) return undefined;
    const ctx: Context = trace.setSpan(parent, root);
    return new RequestTrace(this.tracer, root, ctx, s.model, s.version);
  }

  /** Sends what is queued now (tests, and before a drain's end). */
  flush(): Promise<void> {
    return this.provider.forceFlush({ timeoutMillis: SHUTDOWN_MS });
  }

  /** Exports what is left, within a bound: a collector that is down must not hold an exit. */
  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.provider.shutdown().catch(() => undefined),
      new Promise<void>((r) => {
        timer = setTimeout(r, SHUTDOWN_MS);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }
}
