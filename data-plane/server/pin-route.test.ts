import { describe, expect, it } from 'vitest';
import { pinRoute, routeOf } from './http-server.js';

const pin = { model: 'mlp', version: '2' };
const on = (method: string, path: string) => pinRoute(routeOf(method, path), pin);

describe("a managed version's own HTTP port", () => {
  it('answers a version-less path naming its model with its version', () => {
    expect(on('POST', '/v2/models/mlp/infer')).toEqual({ kind: 'infer', model: 'mlp', version: '2' });
    expect(on('GET', '/v2/models/mlp/ready')).toEqual({ kind: 'model-ready', model: 'mlp', version: '2' });
    expect(on('GET', '/v2/models/mlp')).toEqual({ kind: 'model', model: 'mlp', version: '2' });
  });

  it('leaves an explicit version, another model, health paths and errors as they are', () => {
    expect(on('POST', '/v2/models/mlp/versions/1/infer')).toEqual({
      kind: 'infer',
      model: 'mlp',
      version: '1',
    });
    expect(on('POST', '/v2/models/other/infer')).toEqual({ kind: 'infer', model: 'other' });
    expect(on('GET', '/v2/health/ready')).toEqual({ kind: 'ready' });
    expect(on('GET', '/v2/models/mlp/infer')).toEqual({ error: 405 });
  });

  it('changes nothing on a port without a pin', () => {
    expect(pinRoute(routeOf('POST', '/v2/models/mlp/infer'), undefined)).toEqual({
      kind: 'infer',
      model: 'mlp',
    });
  });
});
