// The translator's other entry points and the gateway memo: translateModel (one route on its own,
// which the publisher checks per model), translateSteps (one yield per model) and when the Envoy
// gateway's listener is kept or rebuilt.
import { describe, expect, it } from 'vitest';
import { type HttpRequest, routeIn } from '../../test/helpers/envoy-route-match.js';
import { parsePolicyFile } from '../policy/index.js';
import type { ModelRoute } from '../policy/types.js';
import { type EndpointInfo, TranslationCache, translate, translateModel, translateSteps } from './index.js';

const doc = (model: string, extra = '') =>
  parsePolicyFile(
    `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: ${model}, namespace: default }
spec:
  model: ${model}
  mtls: DISABLE
  versions: [{ name: v1, weight: 70 }, { name: v2, weight: 30 }]
${extra}`,
    `${model}.yaml`,
  )[0]!;

const LIMITED = '  access: { rateLimit: { model: { rps: 5 } } }\n';
const JWKS = `  access:
    jwt: { issuer: https://issuer.example, audiences: [api], jwks: { uri: https://issuer.example/jwks.json } }
`;

const pods: EndpointInfo[] = [{ address: '10.0.0.1', port: 8001, health: 'HEALTHY' }];
const table = new Map([['resnet/v1', pods]]);

const names = (list: readonly { name?: string; clusterName?: string }[]) =>
  list.map((m) => m.name ?? m.clusterName);

describe('translateModel', () => {
  it('gRPC: the model listener and route configuration, its clusters and assignments', () => {
    const cache = new TranslationCache();
    const set = translateModel(doc('resnet'), table, 'grpc', {}, cache);
    expect(names(set.listeners)).toEqual(['resnet']);
    expect(set.listeners[0]!.apiListener).toBeDefined();
    expect(names(set.routes)).toEqual(['resnet']);
    expect(set.routes[0]!.virtualHosts.map((v) => v.name)).toEqual(['resnet']);
    expect(names(set.clusters)).toEqual(['resnet/v1', 'resnet/v2']);
    expect(names(set.endpoints)).toEqual(['resnet/v1', 'resnet/v2']);
    expect(set.endpoints[0]!.endpoints.flatMap((l) => l.lbEndpoints)).toHaveLength(1);
    expect(set.endpoints[1]!.endpoints).toEqual([]);
    expect(set.secrets).toEqual([]);
    expect(cache.gateway).toBeUndefined();
  });

  it('Envoy: no listener, a route configuration of its own with its virtual host and catch-all routes', () => {
    const route = doc('resnet');
    const set = translateModel(route, table, 'envoy');
    expect(set.listeners).toEqual([]);
    expect(names(set.routes)).toEqual(['switchyard-gateway/resnet']);
    const [own, catchAll] = set.routes[0]!.virtualHosts;
    expect([own!.name, catchAll!.name]).toEqual(['resnet', 'all-models']);
    // The catch-all holds this model's routes packed in a tree, as the gateway's at scale: a
    // REST path and a gRPC call with the model header find the very routes the gateway's list
    // (one model) gives them.
    const whole = translate({ routes: [route], endpoints: table }, 'envoy');
    const gatewayCatchAll = whole.routes.at(-1)!.virtualHosts.at(-1)!;
    expect(catchAll!.matcher).toBeDefined();
    expect(gatewayCatchAll.routes.map((r) => r.name)).toEqual(['resnet/rest/default', 'resnet/grpc/default']);
    const requests: HttpRequest[] = [
      { authority: 'gateway', path: '/v2/models/resnet/infer', headers: {} },
      {
        authority: 'gateway',
        path: '/inference.GRPCInferenceService/ModelInfer',
        headers: { 'x-model-name': 'resnet' },
      },
    ];
    for (const req of requests) {
      const chosen = routeIn(catchAll!, req).route;
      expect(chosen).toBeDefined();
      expect(chosen).toEqual(routeIn(gatewayCatchAll, req).route);
    }
    expect(names(set.clusters)).toEqual(['resnet/v1', 'resnet/v2', 'resnet/v1/http', 'resnet/v2/http']);
    expect(names(set.endpoints)).toEqual(names(whole.endpoints));
  });

  it('Envoy: reuses the route configuration while the route is the same object', () => {
    const route = doc('resnet');
    const first = translateModel(route, table, 'envoy');
    const again = translateModel(route, new Map(), 'envoy');
    expect(again.routes[0]).toBe(first.routes[0]);
    const other = translateModel(doc('resnet'), table, 'envoy');
    expect(other.routes[0]).not.toBe(first.routes[0]);
    expect(other.routes[0]).toEqual(first.routes[0]);
  });

  it('Envoy: adds the access clusters of a model with access rules', () => {
    const remote = doc('resnet', JWKS);
    expect(names(translateModel(remote, table, 'envoy').clusters)).toEqual([
      'resnet/v1',
      'resnet/v2',
      'resnet/v1/http',
      'resnet/v2/http',
      'resnet/-/jwks',
    ]);
    // Proxyless clients are not behind the gateway: no JWKS cluster for them.
    expect(names(translateModel(remote, table, 'grpc').clusters)).toEqual(['resnet/v1', 'resnet/v2']);
  });

  it('keeps the outputs of each options key for the same route object, not only the latest', () => {
    const route = doc('resnet');
    const clustersWith = (matcher: 'auto' | 'tree') =>
      translateModel(route, table, 'grpc', { gatewayRouteMatcher: matcher }).clusters;
    const a = clustersWith('auto');
    const b = clustersWith('tree');
    expect(b).not.toBe(a);
    // A, then B, then each again: both keys are still memoized, as the same objects.
    expect(clustersWith('auto')).toBe(a);
    expect(clustersWith('tree')).toBe(b);
  });

  it("leaves the gateway memo alone: a later translate still reuses the whole snapshot's gateway", () => {
    const cache = new TranslationCache();
    const routes = [doc('bert'), doc('resnet')];
    const first = translate({ routes, endpoints: table }, 'envoy', {}, cache);
    const gateway = cache.gateway;
    translateModel(routes[0]!, table, 'envoy', {}, cache);
    expect(cache.gateway).toBe(gateway);
    const second = translate({ routes, endpoints: table }, 'envoy', {}, cache);
    expect(second.routes.at(-1)).toBe(first.routes.at(-1));
  });
});

describe('translateSteps', () => {
  it('yields once per model and ends with what translate gives', () => {
    const routes = [doc('a'), doc('b'), doc('c')];
    for (const flavor of ['grpc', 'envoy'] as const) {
      const steps = translateSteps({ routes, endpoints: table }, flavor);
      let yields = 0;
      let next = steps.next();
      while (!next.done) {
        yields++;
        next = steps.next();
      }
      expect(yields).toBe(3);
      expect(next.value).toEqual(translate({ routes, endpoints: table }, flavor));
    }
  });
});

describe('the Envoy gateway memo', () => {
  const gatewayOf = (routes: ModelRoute[], cache: TranslationCache, port = 10000) => {
    const set = translate({ routes, endpoints: table }, 'envoy', { gatewayPort: port }, cache);
    return { listener: set.listeners.at(-1)!, routes: set.routes.at(-1)! };
  };
  const portOf = (l: ReturnType<typeof gatewayOf>['listener']) => {
    const a = l.address?.address;
    return a?.case === 'socketAddress' && a.value.portSpecifier.case === 'portValue'
      ? a.value.portSpecifier.value
      : undefined;
  };

  it('rebuilds both when the options change, though no route did', () => {
    const cache = new TranslationCache();
    const routes = [doc('resnet')];
    const first = gatewayOf(routes, cache);
    const moved = gatewayOf(routes, cache, 10001);
    expect(portOf(first.listener)).toBe(10000);
    expect(portOf(moved.listener)).toBe(10001);
  });

  it('keeps the listener when a model without access rules comes or goes', () => {
    const cache = new TranslationCache();
    const limited = doc('llm', LIMITED);
    const first = gatewayOf([limited], cache);
    const more = gatewayOf([limited, doc('resnet')], cache);
    expect(more.routes).not.toBe(first.routes);
    expect(more.routes.virtualHosts.map((v) => v.name)).toEqual(['llm', 'resnet', 'all-models']);
    expect(more.listener).toBe(first.listener);
    const fewer = gatewayOf([limited], cache);
    expect(fewer.listener).toBe(first.listener);
    expect(fewer.routes.virtualHosts.map((v) => v.name)).toEqual(['llm', 'all-models']);
  });

  it('rebuilds the listener when the models with access rules change', () => {
    const cache = new TranslationCache();
    const plain = doc('resnet');
    const first = gatewayOf([plain], cache);
    const added = gatewayOf([doc('llm', LIMITED), plain], cache);
    expect(added.listener).not.toBe(first.listener);
    expect(added.listener).not.toEqual(first.listener);
    // An equal route, but a new object: its filter configs are built again.
    const replaced = gatewayOf([doc('llm', LIMITED), plain], cache);
    expect(replaced.listener).not.toBe(added.listener);
    expect(replaced.listener).toEqual(added.listener);
    const removed = gatewayOf([plain], cache);
    expect(removed.listener).toEqual(first.listener);
    expect(removed.listener).not.toBe(added.listener);
  });
});
