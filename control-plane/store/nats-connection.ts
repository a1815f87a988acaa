// The control plane's NATS connection: explicit user and password (Debian's nats-server 2.9.10
// has CVE-2023-47090, so the default account is never relied on), a seed list of servers,
// reconnecting forever, with status changes logged. JetStream state (KV, audit stream) hangs off
// this one connection. The timings are chosen for failover within a JetStream cluster; the
// reasons are in docs/OPERATIONS.md, "Failover timings".
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NATS_FAILOVER_TIMINGS, seedList } from '../../kernel/contract/nats-client.js';
import { UnavailableError } from '../../kernel/errors/index.js';
import type { Logger } from '../../kernel/log/index.js';

export { NATS_FAILOVER_TIMINGS, seedList };

export interface NatsOptions {
  /** Seed URLs: a list, or one string with comma-separated URLs as NATS tools take them. */
  readonly servers: string | readonly string[];
  readonly user?: string;
  readonly pass?: string;
  readonly name: string;
}

/**
 * Keep-alive of the control plane's own connection: a node that vanishes without closing its
 * socket (a host lost, a partition) is given up after about pingInterval * (maxPingOut + 1).
 */
export const CONTROL_PLANE_PINGS = { pingInterval: 1000, maxPingOut: 2 } as const;

export async function connectNats(opts: NatsOptions, log: Logger): Promise<NatsConnection> {
  const servers = seedList(opts.servers);
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers,
      name: opts.name,
      ...(opts.user ? { user: opts.user, pass: opts.pass ?? '' } : {}),
      ...NATS_FAILOVER_TIMINGS,
      ...CONTROL_PLANE_PINGS,
    });
  } catch (err) {
    throw new UnavailableError(
      `cannot connect to NATS at ${servers.length === 1 ? servers[0] : `any of ${servers.join(', ')}`}: ${(err as Error).message}`,
      { cause: err },
    );
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
