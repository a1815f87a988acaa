// Bounds on what ADS clients can hold: streams per HTTP/2 connection (enforced by HTTP/2 itself
// through SETTINGS_MAX_CONCURRENT_STREAMS), streams per client, and how long a stream may leave
// its responses unread. See docs/XDS.md, "Limits".
import type { Node } from '../../../protos/gen/envoy/config/core/v3/base_pb.js';
import type { StreamContext } from './stream-context.js';

export interface XdsLimits {
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS of every xDS connection. */
  readonly maxStreamsPerConnection: number;
  /** Streams one client (verified identity, else node id) may hold at once. */
  readonly maxStreamsPerClient: number;
  /** A stream whose responses stay unread this long is closed (slow reader). */
  readonly slowReaderTimeoutMs: number;
}

// An Envoy holds one ADS stream and a proxyless gRPC process one per xDS server; reconnects
// overlap briefly. A few dozen covers both with room, far below what hurts the server.
export const DEFAULT_XDS_LIMITS: XdsLimits = {
  maxStreamsPerConnection: 100,
  maxStreamsPerClient: 32,
  slowReaderTimeoutMs: 60_000,
};

/**
 * Who a stream counts against: the verified certificate identity when there is one (a node id
 * alone can be made up), else the node id, else the peer address.
 */
export function clientKey(ctx: StreamContext, node: Node | undefined): string {
  if (ctx.identity) return `identity ${ctx.identity}`;
  if (node?.id) return `node ${node.id}`;
  return `peer ${ctx.peer.replace(/:\d+$/, '')}`;
}

/** Counts streams per client; a stream takes a slot at admission and gives it back on close. */
export class ClientStreamCounter {
  private readonly held = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Takes a slot for `key`; false (nothing taken) when the client is at its limit. */
  acquire(key: string): boolean {
    const n = this.held.get(key) ?? 0;
    if (n >= this.max) return false;
    this.held.set(key, n + 1);
    return true;
  }

  release(key: string): void {
    const n = (this.held.get(key) ?? 0) - 1;
    if (n > 0) this.held.set(key, n);
    else this.held.delete(key);
  }

  get limit(): number {
    return this.max;
  }
}
