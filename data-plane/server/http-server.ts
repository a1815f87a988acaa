// The KServe v2 HTTP/REST API on node:http:
//   GET  /v2/health/live | /v2/health/ready
//   GET  /v2                                             server metadata
//   GET  /v2/models/{m}[/versions/{v}]                   model metadata
//   GET  /v2/models/{m}[/versions/{v}]/ready
//   POST /v2/models/{m}[/versions/{v}]/infer             JSON, or JSON + binary tensors
//                                                        (Inference-Header-Content-Length)
// Errors are {"error": "...", "code": "SY_..."} with the code's 4xx/5xx status; 429 and 503
// carry Retry-After. Deadlines come from x-request-timeout-ms or Envoy's
// x-envoy-expected-rq-timeout-ms.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { asSwitchyardError } from '../../kernel/errors/errors.js';
import type { AccessEnforcer } from '../access/enforcer.js';
import { peerOfSocket } from '../access/peer.js';
import { AccessRefusedError } from '../access/refusal.js';
import {
  InvalidInferenceError,
  ModelNotFoundError,
  OverloadedError,
  PayloadTooLargeError,
  type SwitchyardError,
} from '../errors.js';
import { Cancellation } from '../inference/cancellation.js';
import type { InferenceService } from '../serving/inference-service.js';
import { SERVER_NAME, SERVER_VERSION } from '../serving/inference-service.js';
import type { InferRequest } from '../tensors/tensor.js';
import { REQUEST_ID_HEADER } from '../tracing/request-id.js';
import { type RequestScope, RequestScopes } from '../tracing/request-scope.js';
import type { VersionPin } from './grpc-server.js';
import {
  BINARY_EXTENSION,
  HEADER_LENGTH_HEADER,
  type OutputForms,
  outputFormsOf,
  parseHeaderLength,
} from './http-binary.js';
import { readInferBody, sendInfer } from './http-body.js';
import { decodeJsonInfer, encodeJsonInfer } from './http-json.js';
import { closeAfterAnswer, LINGER, type LingerBounds } from './lingering-close.js';

export interface HttpServerOptions {
  readonly maxBodyBytes: number;
  /**
   * Largest JSON inference body (capped by maxBodyBytes). JSON costs several times its size
   * once decoded (the buffer, the string, then a boxed number per element), so it gets a
   * smaller bound than binary gRPC messages.
   */
  readonly maxJsonBodyBytes: number;
  /** Request ids, traces and request log lines (data-plane/tracing). */
  readonly scopes?: RequestScopes;
  /** Per-model access rules (data-plane/access); absent: every request is admitted. */
  readonly access?: AccessEnforcer;
  /** A managed version's own port: a version-less path naming its model gets that version. */
  readonly pin?: VersionPin;
  /** How long a closing connection keeps reading a body still on its way (lingering-close.ts). */
  readonly linger?: LingerBounds;
}

type Route =
  | { kind: 'live' | 'ready' | 'server' }
  | { kind: 'model' | 'model-ready' | 'infer'; model: string; version?: string };

const MODEL_PATH = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/ready|\/infer)?\/?$/;

/** Pure: path -> route. */
export function routeOf(method: string, path: string): Route | { error: number } {
  const get = method === 'GET' || method === 'HEAD';
  if (path === '/v2/health/live') return get ? { kind: 'live' } : { error: 405 };
  if (path === '/v2/health/ready') return get ? { kind: 'ready' } : { error: 405 };
  if (path === '/v2' || path === '/v2/') return get ? { kind: 'server' } : { error: 405 };
  const m = MODEL_PATH.exec(path);
  if (!m) return { error: 404 };
  const model = decodeURIComponent(m[1]!);
  const version = m[2] ? decodeURIComponent(m[2]) : undefined;
  const base = { model, ...(version ? { version } : {}) };
  if (m[3] === '/infer') return method === 'POST' ? { kind: 'infer', ...base } : { error: 405 };
  if (!get) return { error: 405 };
  return m[3] === '/ready' ? { kind: 'model-ready', ...base } : { kind: 'model', ...base };
}

/** Pure: on a version's own port, the path that names its model but no version gets that version. */
export function pinRoute(
  route: Route | { error: number },
  pin: VersionPin | undefined,
): Route | { error: number } {
  if (!pin || !('model' in route) || route.version !== undefined || route.model !== pin.model) return route;
  return { ...route, version: pin.version };
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendError(res: ServerResponse, e: SwitchyardError): void {
  const headers: Record<string, string> = {};
  if (e instanceof OverloadedError) headers['retry-after'] = String(e.retryAfterSeconds);
  else if (e instanceof AccessRefusedError) Object.assign(headers, e.httpHeaders());
  else if (e.httpStatus === 503) headers['retry-after'] = '1';
  const body: Record<string, unknown> = { error: e.message, code: e.code };
  if (e instanceof InvalidInferenceError) body.issues = e.issues;
  send(res, e.httpStatus, body, headers);
}

/** The path without the query (what url.path records). */
function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function deadlineOf(req: IncomingMessage): number {
  let ms = Number.POSITIVE_INFINITY;
  for (const h of ['x-request-timeout-ms', 'x-envoy-expected-rq-timeout-ms']) {
    const v = Number(req.headers[h]);
    if (Number.isFinite(v) && v > 0) ms = Math.min(ms, v);
  }
  return Date.now() + ms;
}

export function createHttpServer(svc: InferenceService, opts: HttpServerOptions): Server {
  const scopes = opts.scopes ?? new RequestScopes();
  const limits = { json: Math.min(opts.maxJsonBodyBytes, opts.maxBodyBytes), binary: opts.maxBodyBytes };
  const linger = opts.linger ?? LINGER;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://pod');
    const route = pinRoute(routeOf(req.method ?? 'GET', url.pathname), opts.pin);
    if ('error' in route) {
      const msg =
        route.error === 405 ? `${req.method} is not allowed on ${url.pathname}` : `no route ${url.pathname}`;
      send(res, route.error, { error: msg });
      return;
    }
    if ((route.kind === 'infer' || route.kind === 'model') && opts.access) {
      const header = (name: string) => {
        const v = req.headers[name];
        return typeof v === 'string' ? v : undefined;
      };
      await opts.access.check(route.model, { peer: peerOfSocket(req.socket), header });
    }
    switch (route.kind) {
      case 'live':
        send(res, svc.live() ? 200 : 503, { live: svc.live() });
        return;
      case 'ready':
        send(res, svc.ready() ? 200 : 503, { ready: svc.ready() });
        return;
      case 'server':
        send(res, 200, { name: SERVER_NAME, version: SERVER_VERSION, extensions: [BINARY_EXTENSION] });
        return;
      case 'model-ready': {
        // A version on standby (overcommit) is assigned here but not loaded: 503, not 404.
        const standby = (version?: string) => svc.holds?.knows(route.model, version) === true;
        if (svc.models.versionsOf(route.model).length === 0 && !standby())
          throw new ModelNotFoundError(route.model);
        if (route.version && !svc.models.get(route.model, route.version) && !standby(route.version))
          throw new ModelNotFoundError(route.model, route.version);
        const ready = svc.modelReady(route.model, route.version);
        send(res, ready ? 200 : 503, { ready });
        return;
      }
      case 'model': {
        const m = svc.modelMetadata(route.model, route.version);
        send(res, 200, {
          name: m.name,
          versions: m.versions,
          platform: m.platform,
          inputs: m.signature.inputs,
          outputs: m.signature.outputs,
        });
        return;
      }
      case 'infer':
        await infer(req, res, route.model, route.version);
        return;
    }
  };

  const infer = async (req: IncomingMessage, res: ServerResponse, model: string, version?: string) => {
    const scope = scopes.http(req.headers, req.method ?? 'POST', pathOf(req), model, version);
    res.setHeader(REQUEST_ID_HEADER, scope.id);
    try {
      await admitted(req, res, scope, model, version);
      scope.succeeded();
    } catch (err) {
      throw scope.failed(err);
    }
  };

  const admitted = async (
    req: IncomingMessage,
    res: ServerResponse,
    scope: RequestScope,
    model: string,
    version?: string,
  ) => {
    let release: () => void;
    try {
      release = svc.lifecycle.enter();
    } catch (err) {
      throw svc.rejected(model, version, err);
    }
    try {
      let request: InferRequest;
      let forms: OutputForms;
      try {
        const body = await readInferBody(req, parseHeaderLength(req.headers[HEADER_LENGTH_HEADER]), limits);
        request = decodeJsonInfer(body.json, model, version, body.tail);
        forms = outputFormsOf(body.json as Record<string, unknown>);
      } catch (err) {
        throw svc.rejected(model, version, err);
      }
      const cancellation = new Cancellation();
      res.once('close', () => {
        if (!res.writableFinished) cancellation.cancel();
      });
      const out = await svc.infer(request, { deadline: deadlineOf(req), cancellation, hooks: scope });
      scope.responding();
      sendInfer(res, encodeJsonInfer(out, forms));
    } finally {
      release();
    }
  };

  return createServer((req, res) => {
    // Draining: every answer closes its connection, so no keep-alive socket is idle (and
    // reused by a client) when the server closes; clients reconnect, to another pod.
    if (svc.lifecycle.phase !== 'serving' && svc.lifecycle.phase !== 'starting')
      closeAfterAnswer(req, res, linger);
    handle(req, res).catch((err: unknown) => {
      const e = asSwitchyardError(err);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // An unread body cannot be skipped cheaply: answer, then close the connection (reading
      // what the client still sends for a while, so that it reads the answer, not a reset).
      if (e instanceof PayloadTooLargeError) closeAfterAnswer(req, res, linger);
      sendError(res, e);
    });
  });
}

export function listenHttp(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}

/** Stops listening, closes idle keep-alive sockets now and resolves once the rest are done. */
export function closeHttp(server: Server | undefined): Promise<void> {
  if (!server?.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
