// The pod's mTLS front door: one TCP listener per served port that terminates TLS itself and
// hands each admitted connection to the real server (grpc-js through a connection injector,
// node:http through its 'connection' event). Doing the handshake here gives the pod, with one
// code path for gRPC and HTTP:
//   - the mode of Istio's PeerAuthentication: STRICT (mTLS only) or PERMISSIVE (mTLS and
//     plaintext on the same port, told apart by the first byte: 0x16 opens a TLS handshake);
//   - a peer decision before a single request byte is read: no certificate, an untrusted or
//     expired one, or a SPIFFE ID off the allow-list closes the connection at once;
//   - rotation without dropping anything: each handshake takes the secure context current at
//     that moment, so a renewed certificate serves new connections while open ones go on.
import { createServer, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import {
  type SecureContextOptions,
  type TLSSocket,
  type Server as TlsServer,
  createServer as tlsServer,
} from 'node:tls';
import { decidePeer, type PeerAllowList } from '../../kernel/tls/index.js';

export type PeerMode = 'STRICT' | 'PERMISSIVE';

/** How one connection ended up; `refused` ones were closed before any request was read. */
export type ConnectionVerdict =
  | { readonly result: 'mtls'; readonly identity: string }
  | { readonly result: 'plaintext' }
  /** PERMISSIVE: TLS without a client certificate (anonymous, like plaintext). */
  | { readonly result: 'anonymous-tls' }
  | {
      readonly result: 'refused';
      readonly reason: 'no-certificate' | 'untrusted' | 'not-allowed' | 'handshake';
      readonly detail: string;
    };

export interface MtlsListenerOptions {
  readonly mode: PeerMode;
  /** Certificate, key and trust bundle of the first handshakes; later ones: setSecureContext. */
  readonly secure: SecureContextOptions;
  readonly allow: PeerAllowList;
  /** ALPN the port speaks: ['h2'] for gRPC, ['http/1.1'] for HTTP. */
  readonly alpn: readonly string[];
  /** Takes an admitted connection (a TLSSocket, a socket, or a replaying duplex). */
  readonly handoff: (connection: Duplex) => void;
  readonly onVerdict?: (v: ConnectionVerdict, remote: string) => void;
  readonly handshakeTimeoutMs?: number;
}

const TLS_HANDSHAKE = 0x16;

/**
 * A socket whose first chunk was read to sniff the protocol, with that chunk put back in front.
 * net.Socket#unshift would not do: TLS and HTTP/2 read a socket's native handle directly.
 */
class Replay extends Duplex {
  constructor(
    private readonly inner: Socket,
    first: Buffer,
  ) {
    super({ allowHalfOpen: false });
    this.push(first);
    inner.on('data', (d: Buffer) => {
      if (!this.push(d)) inner.pause();
    });
    inner.on('end', () => this.push(null));
    inner.on('error', (e) => this.destroy(e));
    inner.on('close', () => this.destroy());
  }
  get remoteAddress() {
    return this.inner.remoteAddress;
  }
  get remotePort() {
    return this.inner.remotePort;
  }
  get remoteFamily() {
    return this.inner.remoteFamily;
  }
  get localAddress() {
    return this.inner.localAddress;
  }
  get localPort() {
    return this.inner.localPort;
  }
  setNoDelay(noDelay?: boolean): this {
    this.inner.setNoDelay(noDelay);
    return this;
  }
  setKeepAlive(enable?: boolean, delay?: number): this {
    this.inner.setKeepAlive(enable, delay);
    return this;
  }
  setTimeout(ms: number, cb?: () => void): this {
    this.inner.setTimeout(ms, cb);
    return this;
  }
  override _read(): void {
    this.inner.resume();
  }
  override _write(chunk: Buffer, encoding: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.inner.write(chunk, encoding, cb);
  }
  override _final(cb: (e?: Error | null) => void): void {
    this.inner.end(cb);
  }
  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    this.inner.destroy(err ?? undefined);
    cb(err);
  }
}

export class MtlsListener {
  readonly server: Server;
  /**
   * TLS is node's tls.Server, never listening itself: it gets connections through its
   * 'connection' event, so it verifies client chains and sets `authorized` exactly as a
   * listening one (a bare TLSSocket would not), and setSecureContext rotates it.
   */
  private readonly tls: TlsServer;
  /** PERMISSIVE connections whose first byte has not come yet (closed with the listener). */
  private readonly sniffing = new Set<Socket>();
  /** After close() nothing is handed off; handshakes under way end at handshakeTimeout. */
  private closed = false;

  constructor(private readonly o: MtlsListenerOptions) {
    this.server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.tls = tlsServer({
      ...o.secure,
      // Asked for, not required by the TLS layer: the decision below names what was wrong.
      requestCert: true,
      rejectUnauthorized: false,
      ALPNProtocols: [...o.alpn],
      minVersion: 'TLSv1.2',
      handshakeTimeout: o.handshakeTimeoutMs ?? 5_000,
    });
    this.tls.on('secureConnection', (socket: TLSSocket) => this.decide(socket));
    this.tls.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      this.o.onVerdict?.({ result: 'refused', reason: 'handshake', detail: err.message }, remoteOf(socket));
      socket.destroy();
    });
  }

  /** New handshakes get this certificate and bundle; connections already open keep theirs. */
  setSecureContext(secure: SecureContextOptions): void {
    this.tls.setSecureContext(secure);
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const a = this.server.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    });
  }

  /** Stops accepting. Admitted connections belong to their server, which closes them. */
  close(): Promise<void> {
    this.closed = true;
    for (const s of this.sniffing) s.destroy();
    this.sniffing.clear();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    socket.on('error', () => socket.destroy());
    if (this.o.mode === 'STRICT') {
      this.tls.emit('connection', socket);
      return;
    }
    this.sniffing.add(socket);
    socket.once('close', () => this.sniffing.delete(socket));
    socket.once('data', (first: Buffer) => {
      this.sniffing.delete(socket);
      socket.pause();
      const replay = new Replay(socket, first);
      if (first[0] === TLS_HANDSHAKE) this.tls.emit('connection', replay);
      else {
        this.o.onVerdict?.({ result: 'plaintext' }, remoteOf(socket));
        this.o.handoff(replay);
      }
    });
  }

  // Synchronous from 'secureConnection' to handoff, as node's own HTTPS and HTTP/2 servers
  // are: the server takes the socket before any application data is read from it.
  private decide(tls: TLSSocket): void {
    const remote = remoteOf(tls);
    if (this.closed) {
      tls.destroy();
      return;
    }
    const verdict = this.verdictOf(tls);
    this.o.onVerdict?.(verdict, remote);
    if (verdict.result === 'refused') tls.destroy();
    else this.o.handoff(tls);
  }

  private verdictOf(tls: TLSSocket): ConnectionVerdict {
    const cert = tls.getPeerCertificate();
    if (!cert?.raw) {
      if (this.o.mode === 'PERMISSIVE') return { result: 'anonymous-tls' };
      return { result: 'refused', reason: 'no-certificate', detail: 'client presented no certificate' };
    }
    if (!tls.authorized)
      return { result: 'refused', reason: 'untrusted', detail: String(tls.authorizationError) };
    const d = decidePeer(cert, this.o.allow);
    if (!d.allowed) return { result: 'refused', reason: 'not-allowed', detail: d.reason };
    return { result: 'mtls', identity: d.identity };
  }
}

function remoteOf(s: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string {
  return `${s.remoteAddress}:${s.remotePort}`;
}
