// A real XdsServer on an ephemeral loopback port with a snapshot cache the test publishes into.

import type { ResourceSet } from '../../control-plane/translate/types.js';
import { SnapshotEncoder } from '../../control-plane/xds/cache/snapshot.js';
import { SnapshotCache } from '../../control-plane/xds/cache/snapshot-cache.js';
import { XdsServer } from '../../control-plane/xds/server/ads-server.js';
import { combineCallbacks, type XdsCallbacks } from '../../control-plane/xds/server/stream-context.js';
import type { XdsLimits } from '../../control-plane/xds/server/stream-limits.js';
import { ProxyRegistry } from '../../control-plane/xds/status/proxy-registry.js';

export interface XdsFixture {
  readonly address: string;
  readonly cache: SnapshotCache;
  readonly server: XdsServer;
  readonly registry: ProxyRegistry;
  readonly events: Array<{ kind: string; type?: string; detail?: string }>;
  /** Encode and publish a resource set for a group ('envoy' or 'grpc'); returns the snapshot. */
  publish(group: string, set: ResourceSet): ReturnType<SnapshotEncoder['build']>['snapshot'];
  encoder(group: string): SnapshotEncoder;
  close(): Promise<void>;
}

export async function startXds(extra: XdsCallbacks = {}, limits?: Partial<XdsLimits>): Promise<XdsFixture> {
  const cache = new SnapshotCache();
  const registry = new ProxyRegistry();
  const events: XdsFixture['events'] = [];
  const recorder: XdsCallbacks = {
    onNack: (_c, type, _v, message) => events.push({ kind: 'nack', type, detail: message }),
    onStaleNonce: (_c, type, nonce) => events.push({ kind: 'stale', type, detail: nonce }),
    onAck: (_c, type, version) => events.push({ kind: 'ack', type, detail: version }),
  };
  const server = new XdsServer({
    cache,
    callbacks: combineCallbacks(registry, recorder, extra),
    ...(limits ? { limits } : {}),
  });
  const port = await server.listen('127.0.0.1', 0);
  const encoders = new Map<string, SnapshotEncoder>();
  const encoder = (group: string) => {
    const e = encoders.get(group) ?? new SnapshotEncoder();
    encoders.set(group, e);
    return e;
  };
  return {
    address: `127.0.0.1:${port}`,
    cache,
    server,
    registry,
    events,
    encoder,
    publish(group, set) {
      const { snapshot, issues } = encoder(group).build(set);
      if (issues.length) throw new Error(issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
      cache.set(group, snapshot);
      return snapshot;
    },
    close: () => server.close(),
  };
}
