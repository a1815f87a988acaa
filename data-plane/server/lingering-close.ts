// Closing a connection whose request body is still arriving, as nginx's lingering close does.
// node:http ends a `Connection: close` answer's socket with destroySoon(): end, then destroy
// once the answer is flushed. Destroying a socket with the client's bytes still coming in makes
// the kernel answer them with a reset, and a client still writing its body then reads EPIPE or
// ECONNRESET (often instead of the answer: a client that reads only once its body is written
// never sees the 413). Here the socket is half-closed after the answer and what the client still
// sends is read and dropped, within a bound of bytes and time, so a client can neither keep the
// socket nor make the pod read an unbounded body.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export interface LingerBounds {
  /** Most bytes read and dropped after the answer before the socket is destroyed. */
  readonly bytes: number;
  /** Longest the socket stays open after the answer. */
  readonly ms: number;
}

/** Enough for a client to read the answer and stop (a round trip or two), not to hold the pod. */
export const LINGER: LingerBounds = { bytes: 8 * 1024 * 1024, ms: 2000 };

/** How often the bytes read are compared with the bound (a consumed socket emits no 'data'). */
const CHECK_EVERY_MS = 20;

type ClosingSocket = Duplex & { destroySoon?: () => void; readonly bytesRead?: number };

function linger(socket: ClosingSocket, bounds: LingerBounds): void {
  if (socket.writable) socket.end();
  // The http parser keeps reading the socket (the request it dumps drops the body); bytesRead
  // counts what arrives. A TLS or replayed connection without it is held to the time bound.
  const from = socket.bytesRead ?? 0;
  const stop = () => {
    clearTimeout(timer);
    clearInterval(check);
    socket.destroy();
  };
  const timer = setTimeout(stop, bounds.ms);
  const check = setInterval(() => {
    if ((socket.bytesRead ?? 0) - from > bounds.bytes) stop();
  }, CHECK_EVERY_MS);
  timer.unref();
  check.unref();
  // The client's own end (it read the answer and closed) or any other close ends the wait.
  socket.once('end', stop);
  socket.once('close', stop);
}

/**
 * Answers `req` with `Connection: close`; when the connection closes before the request's body
 * has all arrived, it lingers (within `bounds`) instead of being destroyed at once.
 */
export function closeAfterAnswer(req: IncomingMessage, res: ServerResponse, bounds = LINGER): void {
  res.setHeader('connection', 'close');
  const socket = req.socket as ClosingSocket;
  const plain = socket.destroySoon;
  socket.destroySoon = () => {
    if (!req.complete) linger(socket, bounds);
    else if (plain) plain.call(socket);
    else socket.end();
  };
}
