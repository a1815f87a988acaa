// A tiny router for the admin API: `/api/v1/proxies/:id` style patterns, JSON in and out, and
// errors mapped through the error registry to `{code, message}` with the registry's status.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import {
  asSwitchyardError,
  NotFoundError,
  OptionError,
  RateLimitedError,
  SwitchyardError,
} from '../../kernel/errors/index.js';
import { stringifySliced } from '../../kernel/runtime/sliced-json.js';

export interface AdminRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  /** Raw body (at most maxBodyBytes); `json()` parses it. */
  readonly body: Buffer;
  json<T = unknown>(): T;
  readonly remoteAddress: string;
  /** A streamBody route's request body, unread (body is then empty). */
  readonly stream?: AsyncIterable<Buffer>;
  /** A streamBody route's trailers: known once `stream` has ended (empty before and without). */
  trailers?(): IncomingMessage['trailers'];
  /** The client certificate on an mTLS connection. */
  readonly peerCertificate?: ReturnType<TLSSocket['getPeerCertificate']>;
  /** True when the TLS layer verified that certificate against the trust bundle. */
  readonly peerVerified: boolean;
}

export interface AdminResponse {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  /** Sent as is when a string or Buffer, else as JSON. */
  readonly body?: unknown;
  /**
   * A long-lived response (Server-Sent Events): called with the response once the status and
   * headers are written; it writes and ends it itself. `body` is then ignored.
   */
  readonly stream?: (res: ServerResponse) => void;
}

export interface AdminRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  readonly path: string;
  /** The handler reads the body itself (uploads larger than maxBodyBytes, bounded by the route). */
  readonly streamBody?: boolean;
  handle(req: AdminRequest): Promise<AdminResponse> | AdminResponse;
  /** Releases what the route holds (timers, open streams) when the server closes. */
  close?(): void;
}

class BodyTooLargeError extends SwitchyardError {
  constructor(limit: number) {
    super('SY_OPTION_INVALID', `request body over ${limit} bytes`);
  }
  override get httpStatus(): number {
    return 413;
  }
}

function compile(path: string): { re: RegExp; keys: string[] } {
  const keys: string[] = [];
  const re = path.replace(/:([A-Za-z]+)/g, (_, k: string) => {
    keys.push(k);
    return '([^/]+)';
  });
  return { re: new RegExp(`^${re}$`), keys };
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLargeError(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Work per slice while a JSON answer is written, before the event loop gets a turn. */
const JSON_SLICE_MS = 8;

export class Router {
  private routes: Array<AdminRoute & { re: RegExp; keys: string[] }> = [];

  constructor(private readonly maxBodyBytes = 1024 * 1024) {}

  add(...routes: AdminRoute[]): this {
    for (const r of routes) this.routes.push({ ...r, handle: r.handle.bind(r), ...compile(r.path) });
    return this;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let out: AdminResponse;
    try {
      out = await this.dispatch(req);
    } catch (err) {
      const e = asSwitchyardError(err);
      out = {
        status: e.httpStatus,
        body: e.toJSON(),
        ...(e instanceof RateLimitedError ? { headers: { 'retry-after': String(e.retryAfterSeconds) } } : {}),
      };
    }
    const status = out.status ?? 200;
    const headers: Record<string, string> = { ...out.headers };
    if (out.stream) {
      res.writeHead(status, headers);
      out.stream(res);
      return;
    }
    let payload: string | Buffer = '';
    if (typeof out.body === 'string' || Buffer.isBuffer(out.body)) payload = out.body;
    else if (out.body !== undefined) {
      // In slices: a list of many large policies is megabytes of JSON (kernel/runtime/sliced-json.ts).
      const parts: Buffer[] = [];
      await stringifySliced(out.body, JSON_SLICE_MS, (text) => parts.push(Buffer.from(text)));
      parts.push(Buffer.from('\n'));
      payload = Buffer.concat(parts);
      headers['content-type'] ??= 'application/json';
    }
    res.writeHead(status, headers).end(payload);
  }

  private async dispatch(req: IncomingMessage): Promise<AdminResponse> {
    const url = new URL(req.url ?? '/', 'http://admin');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    let pathMatched = false;
    for (const r of this.routes) {
      const m = r.re.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== req.method) continue;
      const params = Object.fromEntries(r.keys.map((k, i) => [k, decodeSegment(k, m[i + 1]!)]));
      const body =
        r.method === 'GET' || r.streamBody ? Buffer.alloc(0) : await readBody(req, this.maxBodyBytes);
      const socket = req.socket as Partial<TLSSocket>;
      const peer = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
      return r.handle({
        method: req.method,
        path,
        params,
        query: url.searchParams,
        headers: req.headers,
        body,
        json: <T>() => parseJson<T>(body),
        ...(r.streamBody ? { stream: req as AsyncIterable<Buffer>, trailers: () => req.trailers } : {}),
        remoteAddress: req.socket.remoteAddress ?? '',
        ...(peer && Object.keys(peer).length ? { peerCertificate: peer } : {}),
        peerVerified: !!peer && Object.keys(peer).length > 0 && (socket as TLSSocket).authorized === true,
      });
    }
    if (pathMatched)
      return { status: 405, body: { code: 'SY_NOT_FOUND', message: `${req.method} not allowed on ${path}` } };
    throw new NotFoundError(`no admin endpoint ${req.method} ${path}`);
  }
}

/** A malformed percent-encoding is the caller's mistake (400), not a server failure. */
function decodeSegment(key: string, raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    const shown = raw.length > 80 ? `${raw.slice(0, 80)}...` : raw;
    throw new OptionError(`path segment ${key} ${JSON.stringify(shown)} is not valid percent-encoding`);
  }
}

class JsonBodyError extends SwitchyardError {
  constructor(message: string) {
    super('SY_OPTION_INVALID', `request body is not JSON: ${message}`);
  }
}

function parseJson<T>(body: Buffer): T {
  try {
    return JSON.parse(body.toString('utf8') || 'null') as T;
  } catch (err) {
    throw new JsonBodyError((err as Error).message);
  }
}
