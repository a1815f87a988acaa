// The per-route assignment memo (load-assignments.ts): what a rebuild reuses and what it must
// not, for discovered, empty and static versions, in both flavors.
import { toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { ClusterLoadAssignmentSchema } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { parsePolicyFile } from '../policy/index.js';
import {
  type EndpointInfo,
  type Flavor,
  TranslationCache,
  translate,
  translateLoadAssignment,
} from './index.js';

const POLICY = `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: resnet }
spec:
  model: resnet
  versions:
    - name: v1
      weight: 50
    - name: v2
      weight: 30
    - name: pinned
      weight: 20
      endpoints: [{ address: 127.0.0.1, port: 8001, httpPort: 8080 }]
`;

const ep = (address: string): EndpointInfo => ({ address, port: 8001, httpPort: 8080, health: 'HEALTHY' });
const bytes = (list: readonly { $typeName: string }[]) =>
  list.map((m) => Buffer.from(toBinary(ClusterLoadAssignmentSchema, m as never)).toString('hex'));

describe.each<Flavor>(['grpc', 'envoy'])('assignments across rebuilds (%s)', (flavor) => {
  const routes = parsePolicyFile(POLICY, 'p.yaml');

  it('hands back the same assignments while no endpoint array changed, an empty version included', () => {
    const cache = new TranslationCache();
    const table = new Map([['resnet/v1', [ep('10.0.0.1')]]]);
    const first = translate({ routes, endpoints: table }, flavor, {}, cache);
    // A new table with the same arrays, and v2 absent from both: nothing to rebuild.
    const second = translate({ routes, endpoints: new Map(table) }, flavor, {}, cache);
    expect(second.endpoints).toHaveLength(flavor === 'envoy' ? 6 : 3);
    for (let i = 0; i < first.endpoints.length; i++) expect(second.endpoints[i]).toBe(first.endpoints[i]);
    expect(translateLoadAssignment(routes[0]!, 'v2', new Map(), flavor)).toBe(first.endpoints[1]);
  });

  it('rebuilds only the version whose array moved, equal to a translation from scratch', () => {
    const cache = new TranslationCache();
    const table = new Map([
      ['resnet/v1', [ep('10.0.0.1')]],
      ['resnet/v2', [ep('10.0.0.2')]],
    ]);
    const first = translate({ routes, endpoints: table }, flavor, {}, cache);
    const moved = new Map(table).set('resnet/v2', [ep('10.0.0.2'), ep('10.0.0.3')]);
    const second = translate({ routes, endpoints: moved }, flavor, {}, cache);
    const n = 3;
    const changed = flavor === 'envoy' ? [1, n + 1] : [1];
    for (let i = 0; i < first.endpoints.length; i++)
      if (changed.includes(i)) expect(second.endpoints[i]).not.toBe(first.endpoints[i]);
      else expect(second.endpoints[i]).toBe(first.endpoints[i]);
    const scratch = translate({ routes: parsePolicyFile(POLICY, 'p.yaml'), endpoints: moved }, flavor);
    expect(bytes(second.endpoints)).toEqual(bytes(scratch.endpoints));
    // And back: the earlier array again gives an assignment equal to the first one.
    const third = translate({ routes, endpoints: table }, flavor, {}, cache);
    expect(bytes(third.endpoints)).toEqual(bytes(first.endpoints));
  });

  it('keeps a static version out of the table: an entry under its key changes nothing', () => {
    const cache = new TranslationCache();
    const first = translate({ routes, endpoints: new Map() }, flavor, {}, cache);
    const second = translate(
      { routes, endpoints: new Map([['resnet/pinned', [ep('10.9.9.9')]]]) },
      flavor,
      {},
      cache,
    );
    expect(second.endpoints[2]).toBe(first.endpoints[2]);
    expect(bytes([second.endpoints[2]!])[0]).not.toContain(Buffer.from('10.9.9.9').toString('hex'));
  });
});
