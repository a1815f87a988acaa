// Server keepalive on the pod's gRPC ports (docs/DATAPLANE.md, "Keepalive"): a ping on each
// connection every `timeMs` (counted from the connection's start and from each answered ping, as
// grpc-js's server counts), and the connection is dropped when a ping is not answered within
// `timeoutMs`. Both transports take it through grpc-js's option names.
import type { ServerOptions } from '@grpc/grpc-js';
import { OptionError } from '../../kernel/errors/index.js';

export interface KeepaliveOptions {
  /** Time between pings on a connection; 0: no pings. */
  readonly timeMs: number;
  /** How long a ping may go unanswered before the connection is dropped. */
  readonly timeoutMs: number;
}

/**
 * gRPC core's server defaults: a peer that vanished without closing (a half-open connection, a
 * client that stopped reading) is found within 2 h 20 s, at the cost of one ping per connection
 * every 2 h. grpc-js's server sends none by default; Envoy and proxyless clients answer pings.
 */
export const DEFAULT_KEEPALIVE: KeepaliveOptions = { timeMs: 2 * 3_600_000, timeoutMs: 20_000 };

/** Below this a ping is not keepalive but load (and grpc clients may call it abuse). */
export const MIN_KEEPALIVE_MS = 10;
/** setTimeout's longest delay (2^31 - 1 ms, about 596 h): a longer one fires at once. */
export const MAX_KEEPALIVE_MS = 2 ** 31 - 1;

const KEEPALIVE_TIME = 'grpc.keepalive_time_ms';
const KEEPALIVE_TIMEOUT = 'grpc.keepalive_timeout_ms';

function inRange(ms: number): boolean {
  return Number.isFinite(ms) && ms >= MIN_KEEPALIVE_MS && ms <= MAX_KEEPALIVE_MS;
}

/** Refuses what a timer cannot do, naming the pod's flags. */
export function checkKeepalive(k: KeepaliveOptions): KeepaliveOptions {
  const range = `${MIN_KEEPALIVE_MS}ms..596h`;
  if (k.timeMs !== 0 && !inRange(k.timeMs))
    throw new OptionError(`--grpc-keepalive-time: ${k.timeMs} ms is neither 0 (off) nor in ${range}`);
  if (!inRange(k.timeoutMs))
    throw new OptionError(`--grpc-keepalive-timeout: ${k.timeoutMs} ms is not in ${range}`);
  return k;
}

/** The grpc-js server options that say `k` (grpc-js reads them itself; the h2 server below). */
export function keepaliveServerOptions(k: KeepaliveOptions): ServerOptions {
  checkKeepalive(k);
  return { [KEEPALIVE_TIME]: k.timeMs, [KEEPALIVE_TIMEOUT]: k.timeoutMs };
}

/** Keepalive as grpc-js server options say it; absent: grpc-js's own defaults (no pings). */
export function keepaliveOf(o: ServerOptions): KeepaliveOptions {
  const time = o[KEEPALIVE_TIME];
  const timeout = o[KEEPALIVE_TIMEOUT];
  return {
    timeMs: typeof time === 'number' ? time : 0,
    timeoutMs: typeof timeout === 'number' ? timeout : 20_000,
  };
}
