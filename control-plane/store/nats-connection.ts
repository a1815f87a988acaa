// The control plane's NATS connection: explicit user and password (Debian's nats-server 2.9.10
// has CVE-2023-47090, so the default account is never relied on), reconnecting forever, with
// status changes logged. JetStream state (KV, audit stream) hangs off this one connection.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { UnavailableError } from '../../kernel/errors/index.js';
import type { Logger } from '../../kernel/log/index.js';

export interface NatsOptions {
  readonly servers: string;
  readonly user?: string;
  readonly pass?: string;
  readonly name: string;
}

export async function connectNats(opts: NatsOptions, log: Logger): Promise<NatsConnection> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: opts.servers.split(','),
      name: opts.name,
      ...(opts.user ? { user: opts.user, pass: opts.pass ?? '' } : {}),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      timeout: 5000,
    });
  } catch (err) {
    throw new UnavailableError(`cannot connect to NATS at ${opts.servers}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!opts.user)
    log.warn('NATS connection without credentials: use explicit users in production (CVE-2023-47090)');
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect')
        log.warn('NATS disconnected; serving the last snapshot', { server: String(s.server ?? '') });
      else if (s.type === 'reconnect') log.info('NATS reconnected', { server: String(s.server ?? '') });
    }
  })();
  return nc;
}
