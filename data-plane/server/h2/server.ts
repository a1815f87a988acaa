// The pod's gRPC server on node:http2 (--grpc-transport h2): grpc-js's ServiceDefinitions and
// handlers served unchanged through H2Call, without grpc-js's per-call machinery (interceptor
// chain, call stream objects, channelz), which is most of a small call's cost
// (docs/DATAPLANE.md, "gRPC transport"). Unary and server-streaming methods; the pod has no
// other kind.
import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import {
  type MethodDefinition,
  type ServiceDefinition,
  status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { KeepaliveOptions } from '../keepalive-options.js';
import { H2Call, ignore } from './call.js';
import { keepAlive } from './keepalive.js';
import { encodeGrpcMessage, MessageReader, parseTimeout } from './wire.js';

/** A method the h2 transport cannot serve (client or bidi streaming). */
export class H2UnsupportedMethodError extends Error {
  readonly code = 'SY_H2_UNSUPPORTED_METHOD';
  constructor(path: string) {
    super(`${path}: the h2 gRPC transport serves unary and server-streaming methods only`);
    this.name = 'H2UnsupportedMethodError';
  }
}

type Handler = (call: H2Call, cb?: H2Call['answer']) => void;

interface Route {
  readonly def: MethodDefinition<unknown, unknown>;
  readonly handler: Handler;
}

/** `head`: HTTP status and headers for an answer that is not a call's (a 405, say). */
function trailersOnly(
  stream: http2.ServerHttp2Stream,
  code: status,
  message: string,
  head: http2.OutgoingHttpHeaders = { ':status': 200 },
): void {
  stream.respond(
    {
      ...head,
      'content-type': 'application/grpc',
      'grpc-status': String(code),
      'grpc-message': encodeGrpcMessage(message),
    },
    { endStream: true },
  );
  // Whatever the client still sends is read and dropped, so its flow-control window stays open.
  stream.resume();
}

export interface H2GrpcServerOptions {
  /** Largest request message; a larger one ends the call with RESOURCE_EXHAUSTED. */
  readonly maxReceiveBytes: number;
  /** Pings on every connection (keepalive.ts); absent: none. */
  readonly keepalive?: KeepaliveOptions;
}

export class H2GrpcServer {
  private readonly routes = new Map<string, Route>();
  private readonly http: http2.Http2Server;
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private listening = false;

  constructor(private readonly opts: H2GrpcServerOptions) {
    // As grpc-js: no session memory cap (node degrades badly at it) and no header block limit.
    this.http = http2.createServer({
      maxSessionMemory: Number.MAX_SAFE_INTEGER,
      maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER,
    });
    this.http.on('session', (s) => {
      this.sessions.add(s);
      s.once('close', () => this.sessions.delete(s));
      s.on('error', () => s.destroy());
      if (opts.keepalive) keepAlive(s, opts.keepalive);
    });
    this.http.on('stream', (stream, headers) => this.serve(stream, headers));
  }

  addService(service: ServiceDefinition, impl: UntypedServiceImplementation): void {
    for (const [name, d] of Object.entries(service)) {
      const def = d as MethodDefinition<unknown, unknown>;
      if (def.requestStream) throw new H2UnsupportedMethodError(def.path);
      // grpc-js's handler types name its own call classes; H2Call has what the pod's handlers use.
      const found = impl[name] ?? (def.originalName ? impl[def.originalName] : undefined);
      const handler = found as unknown as Handler | undefined;
      if (handler) this.routes.set(def.path, { def, handler });
    }
  }

  /** grpc-js's bindAsync: "host:port" (IPv6 in brackets), credentials ignored (plaintext h2c). */
  bindAsync(address: string, _credentials: unknown, cb: (err: Error | null, port: number) => void): void {
    const colon = address.lastIndexOf(':');
    const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    const port = Number(address.slice(colon + 1));
    const onError = (err: Error) => cb(err, 0);
    this.http.once('error', onError);
    this.http.listen(port, host, () => {
      this.http.off('error', onError);
      this.listening = true;
      const a = this.http.address();
      cb(null, typeof a === 'object' && a ? a.port : port);
    });
  }

  /** Connections accepted elsewhere (the pod's mTLS front) are served as if accepted here. */
  createConnectionInjector(_credentials: unknown): { injectConnection(connection: Duplex): void } {
    return { injectConnection: (c) => this.http.emit('connection', c) };
  }

  /** Stops accepting, lets open calls finish (GOAWAY), then calls back. */
  tryShutdown(cb: (err?: Error) => void): void {
    let waiting = this.sessions.size + 1;
    const one = () => {
      if (--waiting === 0) cb();
    };
    if (this.listening) {
      this.listening = false;
      this.http.close(() => one());
    } else one();
    for (const s of this.sessions) {
      s.once('close', one);
      s.close();
    }
  }

  forceShutdown(): void {
    for (const s of this.sessions) s.destroy();
    if (this.listening) {
      this.listening = false;
      this.http.close();
    }
  }

  private serve(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on('error', ignore);
    const contentType = headers['content-type'];
    if (typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) {
      stream.respond({ ':status': 415 }, { endStream: true });
      stream.resume();
      return;
    }
    const method = headers[':method'];
    if (method !== 'POST') {
      // As grpc-go: 405 naming what is allowed, and a gRPC status for clients that read only that.
      const message = `Received a HEADERS frame with :method ${JSON.stringify(method)} which should be POST`;
      trailersOnly(stream, status.INTERNAL, message, { ':status': 405, allow: 'POST' });
      return;
    }
    const path = String(headers[':path']);
    const route = this.routes.get(path);
    if (!route) {
      trailersOnly(stream, status.UNIMPLEMENTED, `The server does not implement the method ${path}`);
      return;
    }
    const encoding = headers['grpc-encoding'];
    if (encoding !== undefined && encoding !== 'identity') {
      trailersOnly(stream, status.UNIMPLEMENTED, `Unsupported grpc-encoding ${String(encoding)}`);
      return;
    }
    const timeout = parseTimeout(headers['grpc-timeout'] as string | undefined);
    const deadline = timeout === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeout;
    const { def, handler } = route;
    const call = new H2Call(stream, headers, deadline, def.responseSerialize as (v: unknown) => Buffer);
    const reader = new MessageReader(this.opts.maxReceiveBytes);
    call.receive(
      // The call takes both off the stream when it ends (H2Call.detach): neither runs after that.
      (chunk: Buffer) => {
        const refused = reader.push(chunk);
        if (refused) call.sendStatus(refused);
      },
      () => {
        if (reader.messages.length !== 1 || reader.partial > 0) {
          call.sendStatus({
            code: status.INTERNAL,
            details: `expected one request message, got ${reader.messages.length}${reader.partial ? ' and a truncated one' : ''}`,
          });
          return;
        }
        try {
          call.request = def.requestDeserialize(reader.messages[0]!);
        } catch (err) {
          call.sendStatus({
            code: status.INTERNAL,
            details: `Error deserializing request: ${(err as Error).message}`,
          });
          return;
        }
        try {
          if (def.responseStream) handler(call);
          else handler(call, (err, value, trailer) => call.answer(err, value, trailer));
        } catch (err) {
          call.sendStatus({ code: status.UNKNOWN, details: (err as Error).message });
        }
      },
    );
  }
}
