import { describe, expect, it } from 'vitest';
import {
  clusterName,
  GATEWAY_LISTENER,
  GATEWAY_ROUTE_CONFIG,
  jwksClusterName,
  listenerName,
  MODEL_HEADER,
  ownedByModel,
  POD_SERVER_ROUTE_CONFIG,
  parseClusterName,
  podServerListenerName,
  restClusterName,
  restPath,
  routeConfigName,
} from './names.js';

describe('cluster names', () => {
  it('inverts both the gRPC and the REST cluster name, so either belongs to its model', () => {
    expect(parseClusterName(clusterName('llm', 'v1'))).toEqual({ model: 'llm', version: 'v1', rest: false });
    expect(parseClusterName(restClusterName('llm', 'v1'))).toEqual({
      model: 'llm',
      version: 'v1',
      rest: true,
    });
  });

  it('refuses names that are neither', () => {
    for (const name of ['llm', '/v1', 'llm/', 'llm/v1/grpc', 'llm/v1/http/x', 'llm//http'])
      expect(parseClusterName(name), name).toBeUndefined();
  });
});

describe('resource names (docs/TRANSLATION.md)', () => {
  it('names the gateway listener and route configuration for Envoy, the model for proxyless gRPC', () => {
    expect(GATEWAY_LISTENER).toBe('switchyard-gateway');
    expect(GATEWAY_ROUTE_CONFIG).toBe('switchyard-gateway');
    expect(listenerName('envoy', 'llm')).toBe('switchyard-gateway');
    expect(listenerName('grpc', 'llm')).toBe('llm');
    expect(routeConfigName('envoy', 'llm')).toBe('switchyard-gateway');
    expect(routeConfigName('grpc', 'llm')).toBe('llm');
  });

  it('spells clusters, the REST path and the model header', () => {
    expect(clusterName('llm', 'v1')).toBe('llm/v1');
    expect(restClusterName('llm', 'v1')).toBe('llm/v1/http');
    expect(restPath('llm')).toBe('/v2/models/llm');
    expect(MODEL_HEADER).toBe('x-model-name');
    expect(parseClusterName('llm/v1/http')).toEqual({ model: 'llm', version: 'v1', rest: true });
    expect(parseClusterName('/v1/http')).toBeUndefined();
  });
});

describe('which resources carry a model policy', () => {
  it("claims the model's own listener and route configuration, its clusters and the gateway's", () => {
    for (const name of ['llm', 'llm/v1', 'llm/v1/http', 'switchyard-gateway'])
      expect(ownedByModel(name, 'llm'), name).toBe(true);
  });

  it("leaves another model's resources, the JWKS cluster and the pods' listeners alone", () => {
    for (const name of [
      'llm2',
      'llm2/v1',
      'other/v1/http',
      'llm/-/jwks',
      podServerListenerName('10.0.0.1', 9001),
    ])
      expect(ownedByModel(name, 'llm'), name).toBe(false);
  });

  it('names the JWKS cluster so that parseClusterName takes it for no version', () => {
    expect(jwksClusterName('llm')).toBe('llm/-/jwks');
    expect(parseClusterName(jwksClusterName('llm'))).toBeUndefined();
  });

  it("names a pod's server listener after its listening address (gRFC A36)", () => {
    expect(podServerListenerName('10.0.0.1', 9001)).toBe(
      'grpc/server?xds.resource.listening_address=10.0.0.1:9001',
    );
    expect(podServerListenerName('fd00::1', 9001)).toBe(
      'grpc/server?xds.resource.listening_address=[fd00::1]:9001',
    );
    expect(POD_SERVER_ROUTE_CONFIG).toBe('switchyard-pod-server');
  });
});
