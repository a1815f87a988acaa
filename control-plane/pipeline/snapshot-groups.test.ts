import { describe, expect, it } from 'vitest';
import { ControlPlaneMetrics } from '../metrics/control-plane-metrics.js';
import { parsePolicyFile } from '../policy/index.js';
import { createLogger } from '../runtime/log.js';
import { SnapshotCache } from '../xds/cache/snapshot-cache.js';
import { TYPE } from '../xds/resource-types.js';
import { PUBLISHED_GROUPS, SnapshotPublisher } from './snapshot-publisher.js';

const routes = parsePolicyFile(
  `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: m }
spec:
  model: m
  versions:
    - { name: v1, weight: 100, endpoints: [{ address: 127.0.0.1, port: 9001 }] }
    - { name: v2, weight: 0, endpoints: [{ address: 127.0.0.1, port: 9002 }] }
  match:
    - headers: { x-cohort: beta }
      version: v2`,
  'm.yaml',
);

describe('snapshot publisher: one snapshot per flavor and capability set', () => {
  it('publishes every group; the legacy gRPC group differs only in routes and encodes only them', () => {
    const cache = new SnapshotCache();
    const publisher = new SnapshotPublisher(cache, new ControlPlaneMetrics(), createLogger('test', 'error'));
    expect(publisher.publish(routes, new Map())).toBe(true);
    expect(PUBLISHED_GROUPS).toEqual(['envoy', 'grpc', 'grpc+legacy-header-matchers']);
    const full = cache.get('grpc')!;
    const legacy = cache.get('grpc+legacy-header-matchers')!;
    for (const t of [TYPE.LDS, TYPE.CDS, TYPE.EDS]) expect(legacy.type(t).version).toBe(full.type(t).version);
    expect(legacy.type(TYPE.RDS).version).not.toBe(full.type(TYPE.RDS).version);
    // 1 listener, 2 clusters, 2 assignments are shared with the grpc group; only the route
    // configuration is encoded again.
    expect(publisher.encodedCount('grpc')).toBe(6);
    expect(publisher.encodedCount('grpc+legacy-header-matchers')).toBe(1);
    const bytes = (s: typeof full) =>
      Buffer.from(s.type(TYPE.RDS).resources.get('m')!.any.value).toString('latin1');
    // HeaderMatcher.exact_match is field 4; string_match is field 13 (tag 0x6a).
    expect(bytes(legacy)).toContain('\u0022\u0004beta');
    expect(bytes(full)).not.toContain('\u0022\u0004beta');
  });
});
