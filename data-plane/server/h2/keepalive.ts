// Keepalive pings on one HTTP/2 session of the h2 gRPC server, as grpc-js's server sends them: a
// PING `timeMs` after the session starts and after each answer; no answer within `timeoutMs`
// (or a ping that cannot be sent) destroys the session, so a peer that vanished without closing
// no longer holds it, its streams or its memory (docs/DATAPLANE.md, "Keepalive").
import type { Http2Session } from 'node:http2';
import type { KeepaliveOptions } from '../keepalive-options.js';

export function keepAlive(session: Http2Session, { timeMs, timeoutMs }: KeepaliveOptions): void {
  if (!(timeMs > 0)) return;
  let timer: NodeJS.Timeout | undefined;
  const drop = () => session.destroy();
  const wait = () => {
    timer = setTimeout(ping, timeMs).unref();
  };
  const ping = () => {
    if (session.destroyed) return;
    let sent = false;
    try {
      sent = session.ping((err) => {
        clearTimeout(timer);
        if (err) drop();
        else wait();
      });
    } catch {
      // Thrown when the session is going away.
    }
    if (!sent) {
      drop();
      return;
    }
    timer = setTimeout(drop, timeoutMs).unref();
  };
  session.once('close', () => clearTimeout(timer));
  wait();
}
