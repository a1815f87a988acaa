import { describe, expect, it } from 'vitest';
import { policy } from '../../test/helpers/policy-yaml.js';
import { parsePolicyFile } from '../policy/index.js';
import { forRole, POD_ROLE, POD_SERVER_GROUP } from './node-role.js';
import { translate } from './translator.js';

const routes = parsePolicyFile(policy('m', 'versions: [{ name: v1, weight: 100 }]'), 'm.yaml');

function bound(l: ReturnType<typeof translate>['listeners'][number]) {
  const a = l.address?.address;
  return a?.case === 'socketAddress'
    ? `${a.value.address}:${a.value.portSpecifier.case === 'portValue' ? a.value.portSpecifier.value : '?'}`
    : undefined;
}

describe('node roles', () => {
  it('binds a sidecar listener to loopback on the same port, sharing every other resource', () => {
    const set = translate({ routes, endpoints: new Map() }, 'envoy', { gatewayPort: 10001 });
    expect(set.listeners.map(bound)).toEqual(['0.0.0.0:10001']);
    const sidecar = forRole(set, 'sidecar');
    expect(sidecar.listeners.map(bound)).toEqual(['127.0.0.1:10001']);
    // Nothing else about the listener changes, and the gateway's stays as it was.
    expect({ ...sidecar.listeners[0], address: undefined }).toEqual({
      ...set.listeners[0],
      address: undefined,
    });
    expect(set.listeners.map(bound)).toEqual(['0.0.0.0:10001']);
    expect(forRole(set, 'sidecar').listeners[0]).toBe(sidecar.listeners[0]);
    for (const k of ['routes', 'clusters', 'endpoints', 'secrets'] as const) expect(sidecar[k]).toBe(set[k]);
    expect(forRole(set, 'gateway')).toBe(set);
  });

  it('leaves a listener already on loopback, and the address-less gRPC listeners, alone', () => {
    const lo = translate({ routes, endpoints: new Map() }, 'envoy', { gatewayAddress: '127.0.0.1' });
    expect(forRole(lo, 'sidecar').listeners[0]).toBe(lo.listeners[0]);
    const grpc = translate({ routes, endpoints: new Map() }, 'grpc');
    expect(forRole(grpc, 'sidecar').listeners).toEqual(grpc.listeners);
  });

  it('names the pods\' role and the resource group they read (docs/XDS.md, "Node roles")', () => {
    expect(POD_ROLE).toBe('pod');
    expect(POD_SERVER_GROUP).toBe('grpc+pod-server');
  });
});
