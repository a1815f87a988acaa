// Every gRPC-flavor resource of every golden case, encoded as the cache would, goes through
// grpc-js-xds's own resource validators (the code a proxyless client runs on each update).
// They are stricter than Envoy in places PGV cannot see (docs/TRANSLATION.md).
import { createRequire } from 'node:module';
import { type DescMessage, type Message, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { translate } from '../../control-plane/translate/index.js';
import { ClusterSchema } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { ListenerSchema } from '../../protos/gen/envoy/config/listener/v3/listener_pb.js';
import { RouteConfigurationSchema } from '../../protos/gen/envoy/config/route/v3/route_pb.js';
import { goldenCaseNames, readGoldenCase } from './golden-cases.js';

const require = createRequire(import.meta.url);
interface Decoder {
  decode(ctx: unknown, any: { type_url: string; value: Buffer }): { name: string; error?: string };
}
const load = (file: string, cls: string): Decoder =>
  require(`@grpc/grpc-js-xds/build/src/xds-resource-type/${file}`)[cls].get();

// grpc-js-xds registers its HTTP filters (router) on register().
require('@grpc/grpc-js-xds').register();

/** The name a client looks the resource up by (an endpoint assignment by its cluster's). */
const resourceName = (m: Message): string =>
  (m as { name?: string }).name || (m as { clusterName?: string }).clusterName || '';

const TYPES: [string, DescMessage, Decoder][] = [
  [
    'envoy.config.listener.v3.Listener',
    ListenerSchema,
    load('listener-resource-type', 'ListenerResourceType'),
  ],
  [
    'envoy.config.route.v3.RouteConfiguration',
    RouteConfigurationSchema,
    load('route-config-resource-type', 'RouteConfigurationResourceType'),
  ],
  ['envoy.config.cluster.v3.Cluster', ClusterSchema, load('cluster-resource-type', 'ClusterResourceType')],
  [
    'envoy.config.endpoint.v3.ClusterLoadAssignment',
    ClusterLoadAssignmentSchema,
    load('endpoint-resource-type', 'EndpointResourceType'),
  ],
];

describe('grpc-js-xds accepts every gRPC-flavor resource', () => {
  it('rejects what gRPC does not support (the harness can fail)', () => {
    const { input } = readGoldenCase('lb-random');
    const [cluster] = translate(input, 'envoy').clusters;
    const [typeName, schema, decoder] = TYPES[2]!;
    const any = {
      type_url: `type.googleapis.com/${typeName}`,
      value: Buffer.from(toBinary(schema, cluster!)),
    };
    expect(decoder.decode({ bootstrap: { certificateProviders: {} }, server: {} }, any).error).toMatch(
      /unsupported lb_policy: RANDOM/,
    );
  });

  for (const name of goldenCaseNames()) {
    it(name, () => {
      const { input, options } = readGoldenCase(name);
      const set = translate(input, 'grpc', options);
      // The bootstrap a proxyless client would have: the provider names the options chose.
      const providers = {
        [options?.certificateProviderInstance ?? 'default']: {},
        [options?.caCertificateProviderInstance ?? 'default']: {},
      };
      const ctx = { bootstrap: { certificateProviders: providers }, server: {} };
      const lists = [
        set.listeners,
        set.routes,
        set.clusters,
        set.endpoints,
      ] as readonly (readonly Message[])[];
      const errors: string[] = [];
      const sent: string[][] = [];
      const accepted: string[][] = [];
      lists.forEach((list, i) => {
        const [typeName, schema, decoder] = TYPES[i]!;
        sent.push(list.map(resourceName));
        const ok: string[] = [];
        for (const m of list) {
          const any = {
            type_url: `type.googleapis.com/${typeName}`,
            value: Buffer.from(toBinary(schema, m)),
          };
          const result = decoder.decode(ctx, any) as { name: string; error?: string; value?: unknown };
          if (result.error) errors.push(`${result.name}: ${result.error}`);
          else if (result.value !== undefined) ok.push(result.name);
        }
        accepted.push(ok);
      });
      expect(errors).toEqual([]);
      // Every resource came back as a validated value under its own name: nothing was skipped.
      expect(accepted).toEqual(sent);
      // A proxyless client needs at least one of each to route a call.
      for (const names of sent) expect(names.length).toBeGreaterThan(0);
    });
  }
});
