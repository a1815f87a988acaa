// The hand-written literals must be the messages create() would make: the same fields, every
// one at its default except those the factory takes. A literal field set to something else is
// sent to every client in every resource of its type.
import { create, type DescMessage, type Message, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { ClusterSchema } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ListenerSchema } from '../../protos/gen/envoy/config/listener/v3/listener_pb.js';
import {
  RouteActionSchema,
  RouteMatchSchema,
  RouteSchema,
  VirtualHostSchema,
  WeightedCluster_ClusterWeightSchema,
  WeightedClusterSchema,
} from '../../protos/gen/envoy/config/route/v3/route_components_pb.js';
import { RouteConfigurationSchema } from '../../protos/gen/envoy/config/route/v3/route_pb.js';
import {
  newCluster,
  newClusterWeight,
  newListener,
  newRoute,
  newRouteAction,
  newRouteConfiguration,
  newRouteMatch,
  newVirtualHost,
  newWeightedCluster,
} from './literals.js';

/**
 * `literal` is `made` but for optional message fields present as undefined (so filling them in
 * adds no property): the same defined fields, every extra key an unset field of the schema, and
 * the same bytes.
 */
function expectSameMessage(schema: DescMessage, literal: Message, made: Message, unset: string[]): void {
  expect(literal).toEqual(made);
  const extra = Object.keys(literal).filter((k) => !Object.hasOwn(made, k));
  expect(extra.sort()).toEqual([...unset].sort());
  const fields = new Map(schema.fields.map((f) => [f.localName, f]));
  for (const k of extra) {
    expect((literal as unknown as Record<string, unknown>)[k]).toBeUndefined();
    expect(fields.get(k)?.fieldKind).toBe('message');
  }
  expect(toBinary(schema, literal)).toEqual(toBinary(schema, made));
}

describe('message literals', () => {
  it('a cluster is create() with its name, the fields the translator fills in present and unset', () => {
    expectSameMessage(ClusterSchema, newCluster('llm/v1'), create(ClusterSchema, { name: 'llm/v1' }), [
      'edsClusterConfig',
      'connectTimeout',
      'commonLbConfig',
      'outlierDetection',
      'circuitBreakers',
      'transportSocket',
      'loadBalancingPolicy',
    ]);
  });

  it('a route action and a route match are create() with nothing set', () => {
    expectSameMessage(RouteActionSchema, newRouteAction(), create(RouteActionSchema), [
      'timeout',
      'maxStreamDuration',
      'retryPolicy',
    ]);
    expect(newRouteMatch()).toStrictEqual(create(RouteMatchSchema));
  });

  it('a route is create() with its name, match and route action', () => {
    const match = newRouteMatch();
    match.pathSpecifier = { case: 'prefix', value: '/' };
    const action = newRouteAction();
    action.clusterSpecifier = { case: 'cluster', value: 'llm/v1' };
    const route = newRoute('llm/default', match, action);
    expectSameMessage(
      RouteSchema,
      route,
      create(RouteSchema, { name: 'llm/default', match, action: { case: 'route', value: action } }),
      ['perRequestBufferLimitBytes'],
    );
    expect(route.match).toBe(match);
    expect(route.action.value).toBe(action);
  });

  it('a virtual host is create() with its name, domains and routes', () => {
    const route = newRoute('llm/default', newRouteMatch(), newRouteAction());
    const vh = newVirtualHost('llm', ['llm', 'llm:*'], [route]);
    expect(vh).toStrictEqual(
      create(VirtualHostSchema, { name: 'llm', domains: ['llm', 'llm:*'], routes: [route] }),
    );
  });

  it('a route configuration is create() with its name and virtual hosts', () => {
    const vh = newVirtualHost('llm', ['*'], []);
    expect(newRouteConfiguration('llm', [vh])).toStrictEqual(
      create(RouteConfigurationSchema, { name: 'llm', virtualHosts: [vh] }),
    );
  });

  it('a listener is create() with its name', () => {
    expect(newListener('llm')).toStrictEqual(create(ListenerSchema, { name: 'llm' }));
  });

  it('a weighted cluster and its weights are create() with the clusters and their weights', () => {
    const weights = [newClusterWeight('llm/v1', 90), newClusterWeight('llm/v2', 10)];
    expect(weights[0]).toStrictEqual(
      create(WeightedCluster_ClusterWeightSchema, { name: 'llm/v1', weight: 90 }),
    );
    expectSameMessage(
      WeightedClusterSchema,
      newWeightedCluster(weights),
      create(WeightedClusterSchema, { clusters: weights }),
      ['totalWeight'],
    );
  });
});
