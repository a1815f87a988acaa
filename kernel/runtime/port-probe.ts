// A listener whose port is taken must stop the process with one clear line. grpc-js reports a
// taken port only as "No address added out of total 1 resolved" (and logs that line itself), so
// each port is tried with a plain socket first; the same mapping serves Node's own listeners.
import { createServer } from 'node:net';
import { PortInUseError, UnavailableError } from '../errors/index.js';

/** The error a failed listen means, named after the listener (`xDS`, `admin`, `HTTP`, ...). */
export function listenError(err: unknown, what: string, host: string, port: number): Error {
  const code = (err as NodeJS.ErrnoException)?.code;
  const message = String((err as Error)?.message ?? err);
  if (code === 'EADDRINUSE' || /EADDRINUSE/.test(message)) return new PortInUseError(what, port);
  return new UnavailableError(`${what} port ${port} on ${host}: cannot listen (${code ?? message})`, {
    cause: err,
  });
}

/** Resolves when `host:port` can be bound now (port 0 always can); throws listenError otherwise. */
export function probePort(what: string, host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err) => reject(listenError(err, what, host, port)));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}
