// One gRPC call on an HTTP/2 stream, shaped as the grpc-js server call the pod's handlers take
// (request, metadata, getDeadline, getPeer, getAuthContext, write/end, 'cancelled'), and the
// one place that answers it: response headers once, messages, then trailers, or trailers-only
// when the call ends before any message. Whatever ends it first wins: the answer, a deadline,
// or the client going away ('cancelled').
import { EventEmitter } from 'node:events';
import type http2 from 'node:http2';
import type { ServerHttp2Stream } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { Metadata, status } from '@grpc/grpc-js';
import { encodeGrpcMessage, frame, type WireStatus } from './wire.js';

/**
 * A stream's errors end it (its 'close' follows), and data after a call's status is dropped: one
 * listener for all, not a closure per call.
 */
export function ignore(): void {}

const GRPC_HEADERS = { ':status': 200, 'content-type': 'application/grpc' } as const;

/** Request headers that are the transport's, not the call's metadata (as grpc-js drops them). */
const TRANSPORT_HEADERS = [
  'grpc-timeout',
  'grpc-encoding',
  'grpc-accept-encoding',
  'accept-encoding',
  'te',
  'content-type',
];

function metadataOf(headers: http2.IncomingHttpHeaders): Metadata {
  const md = Metadata.fromHttp2Headers(headers);
  for (const h of TRANSPORT_HEADERS) md.remove(h);
  return md;
}

/** What peer.ts reads from a call: the certificate of an authorized TLS peer. */
export interface AuthContext {
  readonly transportSecurityType?: string;
  readonly sslPeerCertificate?: { raw?: Uint8Array };
}

const authContexts = new WeakMap<object, AuthContext>();

function authContextOf(stream: ServerHttp2Stream): AuthContext {
  const session = stream.session;
  if (!session) return {};
  let ctx = authContexts.get(session);
  if (!ctx) {
    const socket = session.socket as Partial<TLSSocket>;
    ctx =
      typeof socket.getPeerCertificate === 'function' && socket.authorized === true
        ? { transportSecurityType: 'ssl', sslPeerCertificate: socket.getPeerCertificate() }
        : {};
    authContexts.set(session, ctx);
  }
  return ctx;
}

/** A handler's error as grpc-js reads it: a numeric code (else UNKNOWN), details or message. */
function statusOfError(err: unknown): WireStatus & { metadata?: Metadata } {
  const e = (err ?? {}) as { code?: unknown; details?: unknown; message?: unknown; metadata?: unknown };
  const code =
    typeof e.code === 'number' && Number.isInteger(e.code) && e.code >= 0 && e.code <= 16
      ? e.code
      : status.UNKNOWN;
  const details =
    typeof e.details === 'string' ? e.details : typeof e.message === 'string' ? e.message : 'Unknown Error';
  return { code, details, ...(e.metadata instanceof Metadata ? { metadata: e.metadata } : {}) };
}

export class H2Call<Req = unknown> extends EventEmitter {
  request = undefined as Req;
  cancelled = false;
  private headersSent = false;
  private done = false;
  private timer: NodeJS.Timeout | undefined;
  private inbound: ((chunk: Buffer) => void) | undefined;
  private ended: (() => void) | undefined;
  private md: Metadata | undefined;
  /** Trailers added by the handler without a Metadata (binaryTrailer). */
  private extra: http2.OutgoingHttpHeaders | undefined;

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly headers: http2.IncomingHttpHeaders,
    private readonly deadline: number,
    private readonly serialize: (value: unknown) => Buffer,
  ) {
    super();
    if (Number.isFinite(deadline)) {
      this.timer = setTimeout(() => {
        this.sendStatus({ code: status.DEADLINE_EXCEEDED, details: 'Deadline exceeded' });
        this.cancel();
      }, deadline - Date.now());
    }
    // `on`, not `once`, here and below: each event comes once per stream, and a once wrapper is
    // two more objects per call.
    stream.on('close', this.closed);
  }

  private readonly closed = (): void => {
    if (this.done) return;
    this.done = true;
    this.detach();
    this.cancel();
  };

  /**
   * Reads the request: `onData` and `onEnd` listen on the stream until the call ends. The server's
   * listeners reach the call, its request and the handler's state, so they go with the call's
   * own (detach).
   */
  receive(onData: (chunk: Buffer) => void, onEnd: () => void): void {
    this.inbound = onData;
    this.ended = onEnd;
    this.stream.on('data', onData);
    this.stream.on('end', onEnd);
  }

  /**
   * Takes the call's listeners off its stream once it has ended. A finished HTTP/2 stream
   * survives the young generation's next collections, and with it everything its listeners
   * reach; left on, they kept each call's request and handler state alive that long, so most of
   * it was copied and promoted instead of dying young (docs/DATAPLANE.md, "Where the rest goes at
   * c=16 and 64"). Data a client still sends after the status is read and dropped, as before.
   */
  private detach(): void {
    const stream = this.stream;
    stream.off('close', this.closed);
    if (this.ended) stream.off('end', this.ended);
    if (this.inbound) {
      stream.off('data', this.inbound);
      if (!stream.readableEnded) stream.on('data', ignore);
    }
    this.inbound = undefined;
    this.ended = undefined;
  }

  /**
   * As grpc-js's server streams: an error emitted on the call ends it with that error's status
   * (then reaches any listener of the handler's; with none, it is not thrown). An override
   * rather than a listener made per call.
   */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'error') {
      const s = statusOfError(args[0]);
      this.sendStatus(s, s.metadata);
      if (this.listenerCount('error') === 0) return true;
    }
    return super.emit(event, ...args);
  }

  /**
   * The call's metadata as grpc-js gives it, built on first use: most calls read one header at
   * most (rawHeader), and building every header's Metadata entry was a few percent of a small call.
   */
  get metadata(): Metadata {
    this.md ??= metadataOf(this.headers);
    return this.md;
  }

  /** A request header as received (a string, or undefined), without building the metadata. */
  rawHeader(name: string): unknown {
    return TRANSPORT_HEADERS.includes(name) ? undefined : this.headers[name];
  }

  /**
   * A binary trailer (a `-bin` name) sent with the call's status, as Metadata would send it
   * (base64), without building a Metadata per call.
   */
  binaryTrailer(name: string, value: Buffer): void {
    this.extra ??= {};
    this.extra[name] = value.toString('base64');
  }

  /** Epoch ms as a Date, or Infinity when the client sent no grpc-timeout (as grpc-js). */
  getDeadline(): Date | number {
    return Number.isFinite(this.deadline) ? new Date(this.deadline) : Number.POSITIVE_INFINITY;
  }

  getPeer(): string {
    const s = this.stream.session?.socket;
    return s ? `${s.remoteAddress}:${s.remotePort}` : 'unknown';
  }

  getAuthContext(): AuthContext {
    return authContextOf(this.stream);
  }

  sendMetadata(md: Metadata): void {
    if (this.done || this.headersSent) return;
    this.headersSent = true;
    this.stream.respond({ ...GRPC_HEADERS, ...md.toHttp2Headers() }, { waitForTrailers: true });
  }

  /** Server streaming: one message. */
  write(value: unknown): boolean {
    if (this.done) return false;
    this.sendMessage(this.serialize(value));
    return true;
  }

  /** Server streaming: the end, status OK. */
  end(trailer?: Metadata): void {
    this.sendStatus({ code: status.OK, details: 'OK' }, trailer);
  }

  /** Unary: grpc-js's sendUnaryData (error, value, trailer metadata). */
  answer(err: unknown, value?: unknown, trailer?: Metadata): void {
    if (this.done) return;
    if (err) {
      const s = statusOfError(err);
      this.sendStatus(s, s.metadata);
      return;
    }
    let bytes: Buffer;
    try {
      bytes = this.serialize(value);
    } catch (e) {
      this.sendStatus({
        code: status.INTERNAL,
        details: `Error serializing response: ${(e as Error).message}`,
      });
      return;
    }
    this.sendStatus({ code: status.OK, details: 'OK' }, trailer, bytes);
  }

  /** Ends the call; `last`: a final message, sent with the end of the stream (one write, not two). */
  sendStatus(s: WireStatus, trailer?: Metadata, last?: Uint8Array): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.detach();
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    // One object, filled in place (toHttp2Headers returns a fresh one): spreads copied it thrice.
    const trailers: http2.OutgoingHttpHeaders = trailer ? trailer.toHttp2Headers() : {};
    if (this.extra) Object.assign(trailers, this.extra);
    trailers['grpc-status'] = String(s.code);
    if (s.code !== status.OK || s.details !== 'OK') trailers['grpc-message'] = encodeGrpcMessage(s.details);
    if (!this.headersSent && !last) {
      this.headersSent = true;
      stream.respond({ ...GRPC_HEADERS, ...trailers }, { endStream: true });
      return;
    }
    if (!this.headersSent) {
      this.headersSent = true;
      stream.respond(GRPC_HEADERS, { waitForTrailers: true });
    }
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    if (last) stream.end(frame(last));
    else stream.end();
  }

  private sendMessage(bytes: Uint8Array): void {
    if (!this.headersSent) {
      this.headersSent = true;
      this.stream.respond(GRPC_HEADERS, { waitForTrailers: true });
    }
    this.stream.write(frame(bytes));
  }

  private cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    if (this.timer) clearTimeout(this.timer);
    this.emit('cancelled', 'cancelled');
  }
}
