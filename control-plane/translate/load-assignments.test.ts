// The per-route assignment memo (load-assignments.ts): what a rebuild reuses and what it must
// not, for discovered, empty and static versions, in both flavors; and what each assignment holds.
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
import { loadAssignments } from './load-assignments.js';

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

type Cla = ReturnType<typeof translateLoadAssignment>;

/** Each assignment as its cluster name and its endpoints' `address:port`. */
const contents = (list: readonly Cla[]) =>
  list.map((cla) => [
    cla.clusterName,
    cla.endpoints.flatMap((l) =>
      l.lbEndpoints.map((e) => {
        const ep = e.hostIdentifier.case === 'endpoint' ? e.hostIdentifier.value : undefined;
        const sa = ep?.address?.address.case === 'socketAddress' ? ep.address.address.value : undefined;
        return `${sa?.address}:${sa?.portSpecifier.case === 'portValue' ? sa.portSpecifier.value : '-'}`;
      }),
    ),
  ]);

describe('what the assignments hold', () => {
  const table = new Map([
    ['resnet/v1', [ep('10.0.0.1')]],
    ['resnet/v2', [ep('10.0.0.2')]],
  ]);

  it("gives each version its own endpoints, static ones from the policy, then the REST clusters' on the HTTP port", () => {
    const routes = parsePolicyFile(POLICY, 'p.yaml');
    expect(contents(translate({ routes, endpoints: table }, 'envoy').endpoints)).toEqual([
      ['resnet/v1', ['10.0.0.1:8001']],
      ['resnet/v2', ['10.0.0.2:8001']],
      ['resnet/pinned', ['127.0.0.1:8001']],
      ['resnet/v1/http', ['10.0.0.1:8080']],
      ['resnet/v2/http', ['10.0.0.2:8080']],
      ['resnet/pinned/http', ['127.0.0.1:8080']],
    ]);
    expect(contents(translate({ routes, endpoints: table }, 'grpc').endpoints)).toEqual([
      ['resnet/v1', ['10.0.0.1:8001']],
      ['resnet/v2', ['10.0.0.2:8001']],
      ['resnet/pinned', ['127.0.0.1:8001']],
    ]);
  });

  it("hands out one version's assignment alone, REST or not, the one the whole output holds", () => {
    const routes = parsePolicyFile(POLICY, 'p.yaml');
    const whole = translate({ routes, endpoints: table }, 'envoy', {}, new TranslationCache());
    ['v1', 'v2', 'pinned'].forEach((version, i) => {
      expect(translateLoadAssignment(routes[0]!, version, table, 'envoy')).toBe(whole.endpoints[i]);
      expect(translateLoadAssignment(routes[0]!, version, table, 'envoy', true)).toBe(whole.endpoints[3 + i]);
    });
  });

  it("builds a version the policy does not name from the table's entry for it, REST or not", () => {
    const routes = parsePolicyFile(POLICY, 'p.yaml');
    const withV9 = new Map(table).set('resnet/v9', [ep('10.0.0.9')]);
    const grpc = translateLoadAssignment(routes[0]!, 'v9', withV9, 'envoy');
    const rest = translateLoadAssignment(routes[0]!, 'v9', withV9, 'envoy', true);
    expect(contents([grpc, rest])).toEqual([
      ['resnet/v9', ['10.0.0.9:8001']],
      ['resnet/v9/http', ['10.0.0.9:8080']],
    ]);
  });

  it('hands back the very same array while no version moved, and a new one when one did', () => {
    const routes = parsePolicyFile(POLICY, 'p.yaml');
    const cache = new TranslationCache();
    for (const flavor of ['grpc', 'envoy'] as const) {
      const first = loadAssignments(routes[0]!, flavor, table, cache);
      expect(loadAssignments(routes[0]!, flavor, new Map(table), cache)).toBe(first);
      const moved = new Map(table).set('resnet/v2', [ep('10.0.0.3')]);
      const second = loadAssignments(routes[0]!, flavor, moved, cache);
      expect(second).not.toBe(first);
      expect(contents(second)[1]).toEqual(['resnet/v2', ['10.0.0.3:8001']]);
    }
  });
});
