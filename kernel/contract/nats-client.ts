// How both programs dial NATS: a seed list as NATS tools take it, and the client timings chosen
// for failover within a JetStream cluster (docs/OPERATIONS.md, "Failover timings").
import type { ConnectionOptions } from '@nats-io/transport-node';

/** A seed list as an array: "nats://a,nats://b" and ["nats://a", "nats://b"] are the same. */
export function seedList(servers: string | readonly string[]): string[] {
  return (typeof servers === 'string' ? [servers] : [...servers])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Client timings shared by the control plane and pods. A node that closes its socket is noticed
 * at once; the client then moves to the next seed (or a node the cluster told it about) without
 * waiting, since only a server tried within reconnectTimeWait is waited on.
 */
export const NATS_FAILOVER_TIMINGS = {
  /** Per connection attempt: a seed that does not answer costs at most this. */
  timeout: 1000,
  /** Only before trying the same server again; other servers are tried at once. */
  reconnectTimeWait: 250,
  /** Spreads the reconnects of many clients after a node loss. */
  reconnectJitter: 100,
  reconnectJitterTLS: 100,
  maxReconnectAttempts: -1,
  /** The first connect fails rather than waits: a start with no reachable seed is an error. */
  waitOnFirstConnect: false,
} as const satisfies Partial<ConnectionOptions>;
