import { fromBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { createLogger, memoryLogger } from '../../kernel/log/index.js';
import { Cluster_LbPolicy, ClusterSchema } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { policy } from '../../test/helpers/policy-yaml.js';
import { ControlPlaneMetrics } from '../metrics/control-plane-metrics.js';
import { parsePolicyFile } from '../policy/index.js';
import { SnapshotCache } from '../xds/cache/snapshot-cache.js';
import { TYPE } from '../xds/resource-types.js';
import { PUBLISHED_GROUPS, SnapshotPublisher } from './snapshot-publisher.js';

const routes = parsePolicyFile(
  policy(
    'm',
    `versions:
  - { name: v1, weight: 100, endpoints: [{ address: 127.0.0.1, port: 9001 }] }
  - { name: v2, weight: 0, endpoints: [{ address: 127.0.0.1, port: 9002 }] }
match:
  - headers: { x-cohort: beta }
    version: v2`,
  ),
  'm.yaml',
);

describe('snapshot publisher: one snapshot per flavor and capability set', () => {
  it('publishes every group; the legacy gRPC group differs only in routes and encodes only them', () => {
    const cache = new SnapshotCache();
    const publisher = new SnapshotPublisher(
      cache,
      new ControlPlaneMetrics(),
      createLogger('test', { level: 'error' }),
    );
    expect(publisher.publish(routes, new Map())).toBe(true);
    expect(PUBLISHED_GROUPS).toEqual([
      'envoy',
      'envoy+sidecar',
      'grpc',
      'grpc+legacy-header-matchers',
      'grpc+legacy-header-matchers+no-ring-hash',
    ]);
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

  it('gives sidecars their own listener and shares the rest of the envoy group', () => {
    const cache = new SnapshotCache();
    const publisher = new SnapshotPublisher(
      cache,
      new ControlPlaneMetrics(),
      createLogger('test', { level: 'error' }),
    );
    expect(publisher.publish(routes, new Map())).toBe(true);
    const gateway = cache.get('envoy')!;
    const sidecar = cache.get('envoy+sidecar')!;
    for (const t of [TYPE.RDS, TYPE.CDS, TYPE.EDS])
      expect(sidecar.type(t).version).toBe(gateway.type(t).version);
    expect(sidecar.type(TYPE.LDS).version).not.toBe(gateway.type(TYPE.LDS).version);
    expect(publisher.encodedCount('envoy+sidecar')).toBe(1);
  });

  it('serves sticky clusters as ROUND_ROBIN to clients without ring_hash, and says so', () => {
    const sticky = parsePolicyFile(
      policy(
        's',
        `versions: [{ name: v1, weight: 100, endpoints: [{ address: 127.0.0.1, port: 9001 }] }]
sticky: { header: x-session-id }`,
      ),
      's.yaml',
    );
    const log = memoryLogger('test', 'warn');
    const lines = log.raw;
    const cache = new SnapshotCache();
    const publisher = new SnapshotPublisher(cache, new ControlPlaneMetrics(), log);
    expect(publisher.publish(sticky, new Map())).toBe(true);
    const group = 'grpc+legacy-header-matchers+no-ring-hash';
    const lb = (g: string) =>
      fromBinary(ClusterSchema, cache.get(g)!.type(TYPE.CDS).resources.get('s/v1')!.any.value).lbPolicy;
    expect(lb('grpc')).toBe(Cluster_LbPolicy.RING_HASH);
    expect(lb('grpc+legacy-header-matchers')).toBe(Cluster_LbPolicy.RING_HASH);
    expect(lb(group)).toBe(Cluster_LbPolicy.ROUND_ROBIN);
    const status = (g: string) => publisher.groups().find((s) => s.group === g)!;
    expect(status(group).ringHashAsRoundRobin).toBe(1);
    expect(status('grpc').ringHashAsRoundRobin).toBeUndefined();
    expect(lines.filter((l) => l.includes('served as ROUND_ROBIN'))).toHaveLength(1);
    expect(lines.find((l) => l.includes('served as ROUND_ROBIN'))).toContain(group);
    // Said once, not on every publish; cleared when no sticky model is left.
    expect(publisher.publish(sticky, new Map())).toBe(true);
    expect(lines.filter((l) => l.includes('served as ROUND_ROBIN'))).toHaveLength(1);
    expect(publisher.publish(routes, new Map())).toBe(true);
    expect(status(group).ringHashAsRoundRobin).toBeUndefined();
  });
});
