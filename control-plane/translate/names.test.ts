import { describe, expect, it } from 'vitest';
import {
  clusterName,
  GATEWAY_LISTENER,
  GATEWAY_ROUTE_CONFIG,
  listenerName,
  MODEL_HEADER,
  parseClusterName,
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
