// The order of an assignment's endpoints does not depend on the order of the table: a shuffled
// list gives the bytes of the same list sorted by (region, zone, address, port), stably (equal
// endpoints keep the table's order), for short lists (sorted in place) and long ones alike.
import { toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import type { Issue } from '../../kernel/errors/index.js';
import { ClusterLoadAssignmentSchema } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { rng } from '../../test/helpers/xorshift.js';
import { validatePolicy } from '../policy/index.js';
import { buildLoadAssignment } from './endpoints.js';
import type { EndpointInfo } from './types.js';

const issues: Issue[] = [];
const route = validatePolicy(
  {
    apiVersion: 'switchyard.dev/v1alpha1',
    kind: 'ModelRoute',
    metadata: { name: 'm' },
    spec: { model: 'm', versions: [{ name: 'v1' }], backendPreference: 'any' },
  },
  issues,
)!;

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
function byOutputOrder(x: EndpointInfo, y: EndpointInfo): number {
  return (
    cmp(x.region ?? '', y.region ?? '') ||
    cmp(x.zone ?? '', y.zone ?? '') ||
    cmp(x.address, y.address) ||
    x.port - y.port
  );
}

describe('endpoint order', () => {
  it('sorts shuffled lists of every length stably into the same bytes as the sorted list', () => {
    expect(issues).toEqual([]);
    const r = rng(4242);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    for (let round = 0; round < 400; round++) {
      const n = Math.floor(r() * 45);
      const list: EndpointInfo[] = Array.from({ length: n }, () => ({
        address: `10.0.0.${Math.floor(r() * 4)}`,
        port: pick([8001, 8002]),
        region: pick([undefined, 'eu', 'us']),
        zone: pick([undefined, 'a', 'b']),
        // Equal keys, told apart by health: the sort must keep their table order.
        health: pick(['HEALTHY', 'UNKNOWN', 'DRAINING'] as const),
      }));
      const sorted = [...list].sort(byOutputOrder);
      for (const flavor of ['envoy', 'grpc'] as const) {
        const got = toBinary(ClusterLoadAssignmentSchema, buildLoadAssignment(route, 'v1', list, flavor));
        const want = toBinary(ClusterLoadAssignmentSchema, buildLoadAssignment(route, 'v1', sorted, flavor));
        expect(got, `round ${round}, ${n} endpoints, ${flavor}`).toEqual(want);
      }
    }
  });
});
