import { describe, expect, it } from 'vitest';
import { clusterName, parseClusterName, restClusterName } from './names.js';

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
