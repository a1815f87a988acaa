// The spans of one traced request: a server span for the whole request (continuing the caller's
// trace) and, as its children, `queue wait` (queued until a run took it), `batch` (that run, from
// dispatch to its rows coming back), `inference` (session.run in the worker, placed at the end of
// the batch span: the worker reports how long it ran, not when) and `response` (encoding and
// sending the answer). end() closes whatever is still open, so failures and cancellations leave
// no span behind.
import { type Attributes, type Context, type Span, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { Outcome } from '../stats/observer.js';
import { ATTR, SPAN } from './attributes.js';
import type { RequestHooks } from './hooks.js';

export interface TraceEnd {
  readonly outcome: Outcome;
  /** The error code (SY_...) of a failure. */
  readonly code?: string;
  readonly message?: string;
  /** A server-side failure (5xx / the gRPC codes the conventions count as errors). */
  readonly serverError: boolean;
  /** The transport's status: rpc.grpc.status_code or http.response.status_code. */
  readonly status: { readonly key: string; readonly value: number };
}

/**
 * Every span of a request takes its times from this one clock. The SDK's own default start and end
 * times mix Date.now() with the performance clock, and the two drift apart over a process's life,
 * so a child could appear to start before its parent.
 */
export const nowMs = () => performance.timeOrigin + performance.now();

// Attribute objects are written out whole rather than spread: a traced request makes several,
// and spreads showed in profiles.
export class RequestTrace implements RequestHooks {
  private queue: Span | undefined;
  private batch: Span | undefined;
  private response: Span | undefined;
  private rows = 0;
  private ended = false;

  constructor(
    private readonly tracer: Tracer,
    readonly root: Span,
    private readonly ctx: Context,
    private model: string,
    private version = '',
  ) {}

  get traceId(): string {
    return this.root.spanContext().traceId;
  }

  private child(name: string, attributes: Attributes, startTime = nowMs()): Span {
    return this.tracer.startSpan(name, { attributes, startTime }, this.ctx);
  }

  private modelAttributes(): Attributes {
    return { [ATTR.model]: this.model, [ATTR.version]: this.version };
  }

  resolved(model: string, version: string): void {
    this.model = model;
    this.version = version;
  }

  queued(): void {
    this.queue = this.child(SPAN.queue, this.modelAttributes());
  }

  dequeued(rows: number, requests: number): void {
    const at = nowMs();
    this.queue?.end(at);
    this.queue = undefined;
    this.rows = rows;
    this.batch = this.child(
      SPAN.batch,
      {
        [ATTR.model]: this.model,
        [ATTR.version]: this.version,
        [ATTR.batchSize]: rows,
        [ATTR.batchRequests]: requests,
      },
      at,
    );
  }

  ran(computeMs: number): void {
    const end = nowMs();
    this.batch?.end(end);
    this.batch = undefined;
    this.child(
      SPAN.inference,
      {
        [ATTR.model]: this.model,
        [ATTR.version]: this.version,
        [ATTR.batchSize]: this.rows,
        [ATTR.computeMs]: computeMs,
      },
      end - computeMs,
    ).end(end);
  }

  responding(): void {
    this.response = this.child(SPAN.response, this.modelAttributes());
  }

  end(how: TraceEnd): void {
    if (this.ended) return;
    this.ended = true;
    const failed = how.outcome !== 'success';
    const at = nowMs();
    for (const span of [this.queue, this.batch, this.response]) {
      if (!span) continue;
      if (failed) {
        span.setAttribute(ATTR.outcome, how.outcome);
        span.setStatus({ code: SpanStatusCode.ERROR, ...(how.message ? { message: how.message } : {}) });
      }
      span.end(at);
    }
    const root = this.root;
    root.setAttribute(ATTR.model, this.model);
    if (this.version) root.setAttribute(ATTR.version, this.version);
    root.setAttribute(ATTR.outcome, how.outcome);
    root.setAttribute(how.status.key, how.status.value);
    if (how.code) root.setAttribute(ATTR.errorType, how.code);
    // Server spans: a client's own mistake (4xx) leaves the status unset, per the conventions.
    if (how.serverError)
      this.root.setStatus({ code: SpanStatusCode.ERROR, ...(how.message ? { message: how.message } : {}) });
    this.root.end(at);
  }
}
