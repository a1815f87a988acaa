// A real XdsServer on an ephemeral loopback port for the ADS server's own tests, with a callback
// set that records each event and a copy of the stream context as it was at that moment (the
// server fills the context in as the stream goes on).
import { SnapshotEncoder } from '../../control-plane/xds/cache/snapshot.js';
import { type PublishResult, SnapshotCache } from '../../control-plane/xds/cache/snapshot-cache.js';
import { XdsServer, type XdsServerOptions } from '../../control-plane/xds/server/ads-server.js';
import type { StreamContext } from '../../control-plane/xds/server/stream-context.js';

export interface Event {
  readonly kind: string;
  readonly ctx: StreamContext;
  readonly args: unknown[];
}

export interface Harness {
  readonly server: XdsServer;
  readonly cache: SnapshotCache;
  readonly address: string;
  readonly events: Event[];
  kinds(id?: number): string[];
  publish(group: string, set: Parameters<SnapshotEncoder['build']>[0]): PublishResult;
}

const running: XdsServer[] = [];

/** Closes every server started since the last call (afterEach). */
export async function closeAll(): Promise<void> {
  await Promise.all(running.splice(0).map((s) => s.close()));
}

/** `hooks`: record every event, or run without callbacks (`none`) or with an empty set. */
export async function startServer(
  opts: Omit<Partial<XdsServerOptions>, 'callbacks'> = {},
  hooks: 'record' | 'none' | 'empty' = 'record',
): Promise<Harness> {
  const cache = opts.cache ?? new SnapshotCache();
  const events: Event[] = [];
  const rec =
    (kind: string) =>
    (ctx: StreamContext, ...args: unknown[]) =>
      events.push({ kind, ctx: { ...ctx }, args });
  const recording = {
    onStreamOpen: rec('open'),
    onNodeIdentified: rec('identified'),
    onStreamClose: rec('close'),
    onStreamRefused: rec('refused'),
    onAck: rec('ack'),
    onSlowReaderClosed: rec('slow'),
  };
  const server = new XdsServer({
    ...opts,
    cache,
    ...(hooks === 'none' ? {} : { callbacks: hooks === 'empty' ? {} : recording }),
  });
  running.push(server);
  const port = await server.listen('127.0.0.1', 0);
  const encoders = new Map<string, SnapshotEncoder>();
  return {
    server,
    cache,
    address: `127.0.0.1:${port}`,
    events,
    kinds: (id) => events.filter((e) => id === undefined || e.ctx.id === id).map((e) => e.kind),
    publish(group, set) {
      const encoder = encoders.get(group) ?? new SnapshotEncoder();
      encoders.set(group, encoder);
      return cache.set(group, encoder.build(set).snapshot);
    },
  };
}
