// One inference request from arrival to answer, whatever the transport: its request id, its
// trace (when tracing is on and the request is sampled), and the log line it leaves. The servers
// open a scope when a request arrives and end it once the answer is sent or the request failed;
// the serving path reports through the scope's RequestHooks. With tracing off a scope is one
// small object and a few calls that find nothing to do, and OpenTelemetry is never loaded (this
// file imports only its types; pod.ts loads data-plane/tracing/pod-tracer.ts when asked to).
import type { IncomingHttpHeaders } from 'node:http';
import type { Metadata } from '@grpc/grpc-js';
import type { TextMapGetter } from '@opentelemetry/api';
import { asSwitchyardError, type SwitchyardError } from '../../kernel/errors/errors.js';
import { type Logger, LogThrottle } from '../../kernel/log/index.js';
import { grpcStatusOf } from '../server/status.js';
import { isPodFailure, type Outcome, outcomeOf } from '../stats/observer.js';
import { ATTR } from './attributes.js';
import type { RequestHooks } from './hooks.js';
import type { PodTracer } from './pod-tracer.js';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id.js';
import type { RequestTrace } from './request-trace.js';

const GRPC_SERVICE = 'inference.GRPCInferenceService';
// gRPC status codes the conventions count as a server span's error.
const GRPC_SERVER_ERRORS = new Set([2, 4, 12, 13, 14, 15]);

const metadataGetter: TextMapGetter<Metadata> = {
  get: (md, key) => {
    const v = md.get(key);
    return v.length === 0 ? undefined : v.map(String);
  },
  keys: (md) => Object.keys(md.getMap()),
};

const headersGetter: TextMapGetter<IncomingHttpHeaders> = {
  get: (headers, key) => headers[key],
  keys: (headers) => Object.keys(headers),
};

/**
 * What a scope reads of a gRPC call: its metadata, or (the pod's h2 transport) one raw request
 * header without building the whole metadata (the request id; tracing reads the metadata).
 */
export interface GrpcCallHeaders {
  readonly metadata: Metadata;
  rawHeader?(name: string): unknown;
}

export interface RequestScopesOptions {
  readonly tracer?: PodTracer;
  readonly log?: Logger;
}

export class RequestScopes {
  /** Pod-side failures are logged at warn, a few lines per model and outcome per interval. */
  private readonly throttle = new LogThrottle(10_000, 200);

  constructor(readonly opts: RequestScopesOptions = {}) {}

  grpc(call: GrpcCallHeaders, method: string, model: string, version: string): RequestScope {
    const raw = call.rawHeader ? call.rawHeader(REQUEST_ID_HEADER) : call.metadata.get(REQUEST_ID_HEADER);
    // A gRPC answer does not carry the id: without tracing only a log line reads it, and most
    // requests leave none (debug is off), so the id (a fresh UUID when the caller sent none)
    // is made when first read.
    if (!this.opts.tracer) return new RequestScope(this, 'grpc', undefined, raw, model, version, undefined);
    const id = requestIdOf(raw);
    const trace = this.opts.tracer.start(call.metadata, metadataGetter, {
      name: `${GRPC_SERVICE}/${method}`,
      model,
      ...(version ? { version } : {}),
      attributes: {
        [ATTR.rpcSystem]: 'grpc',
        [ATTR.rpcService]: GRPC_SERVICE,
        [ATTR.rpcMethod]: method,
        [ATTR.requestId]: id,
      },
    });
    return new RequestScope(this, 'grpc', id, undefined, model, version, trace);
  }

  http(
    headers: IncomingHttpHeaders,
    method: string,
    path: string,
    model: string,
    version: string | undefined,
  ): RequestScope {
    const id = requestIdOf(headers[REQUEST_ID_HEADER]);
    const route = version ? '/v2/models/{model}/versions/{version}/infer' : '/v2/models/{model}/infer';
    const trace = this.opts.tracer?.start(headers, headersGetter, {
      name: `${method} ${route}`,
      model,
      ...(version ? { version } : {}),
      attributes: {
        [ATTR.httpMethod]: method,
        [ATTR.httpRoute]: route,
        [ATTR.urlPath]: path,
        [ATTR.requestId]: id,
      },
    });
    return new RequestScope(this, 'http', id, undefined, model, version ?? '', trace);
  }

  /** The line a finished request leaves: debug when it went well or was the client's doing. */
  logEnd(scope: RequestScope, outcome: Outcome, ms: number, e: SwitchyardError | undefined): void {
    const log = this.opts.log;
    if (!log) return;
    // Most lines are debug lines, off by default: the fields are not built for nothing.
    if ((!e || !isPodFailure(outcome)) && log.enabled?.('debug') === false) return;
    const fields = {
      request_id: scope.id,
      model: scope.model,
      version: scope.version,
      outcome,
      ms: Math.round(ms * 1000) / 1000,
      ...(scope.trace ? { trace_id: scope.trace.traceId } : {}),
      ...(e ? { code: e.code } : {}),
    };
    if (!e || !isPodFailure(outcome)) {
      log.debug(`inference ${outcome}${e ? `: ${e.message}` : ''}`, fields);
      return;
    }
    const line = this.throttle.event(`${scope.model}\u0000${outcome}`, Date.now());
    if (!line) return;
    const more = line.suppressed ? ` (${line.suppressed} more like it not logged)` : '';
    log.warn(`inference ${outcome}: ${e.message}${more}`, fields);
  }
}

export class RequestScope implements RequestHooks {
  private readonly startedAt = performance.now();
  private done = false;
  private madeId: string | undefined;

  constructor(
    private readonly scopes: RequestScopes,
    private readonly transport: 'grpc' | 'http',
    /** The id, or undefined to make it from `rawId` (the caller's header) when first read. */
    id: string | undefined,
    private rawId: unknown,
    public model: string,
    public version: string,
    readonly trace: RequestTrace | undefined,
  ) {
    this.madeId = id;
  }

  /** The request id: the caller's, made safe to log, or a fresh UUID (request-id.ts). */
  get id(): string {
    if (this.madeId === undefined) {
      this.madeId = requestIdOf(this.rawId);
      this.rawId = undefined;
    }
    return this.madeId;
  }

  resolved(model: string, version: string): void {
    this.model = model;
    this.version = version;
    this.trace?.resolved(model, version);
  }
  queued(): void {
    this.trace?.queued();
  }
  dequeued(rows: number, requests: number): void {
    this.trace?.dequeued(rows, requests);
  }
  ran(computeMs: number): void {
    this.trace?.ran(computeMs);
  }
  /** The answer is being encoded and sent. */
  responding(): void {
    this.trace?.responding();
  }

  /** The answer went out. */
  succeeded(): void {
    this.finish('success', undefined);
  }

  /** The request failed: ends its spans and returns the error for the server to send. */
  failed(err: unknown): SwitchyardError {
    const e = asSwitchyardError(err);
    this.finish(outcomeOf(e.code), e);
    return e;
  }

  private finish(outcome: Outcome, e: SwitchyardError | undefined): void {
    if (this.done) return;
    this.done = true;
    if (this.trace) {
      const grpc = this.transport === 'grpc';
      const status = grpc ? (e ? grpcStatusOf(e.code) : 0) : (e?.httpStatus ?? 200);
      this.trace.end({
        outcome,
        ...(e ? { code: e.code, message: e.message } : {}),
        serverError: grpc ? GRPC_SERVER_ERRORS.has(status) : status >= 500,
        status: { key: grpc ? ATTR.grpcStatus : ATTR.httpStatus, value: status },
      });
    }
    this.scopes.logEnd(this, outcome, performance.now() - this.startedAt, e);
  }
}
