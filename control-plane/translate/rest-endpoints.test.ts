// The Envoy gateway's REST endpoints (rest-endpoints.ts): only endpoints with an HTTP port, each
// on that port, memoized on the list's identity.
import { describe, expect, it } from 'vitest';
import { parsePolicyFile } from '../policy/index.js';
import { buildRestLoadAssignment, restEndpoints } from './rest-endpoints.js';
import type { EndpointInfo } from './types.js';

const ROUTE = parsePolicyFile(
  `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: resnet }
spec:
  model: resnet
  versions: [{ name: v1, weight: 100 }]
`,
  'p.yaml',
)[0]!;

const withHttp: EndpointInfo = {
  address: '10.0.0.1',
  port: 8001,
  httpPort: 8080,
  health: 'HEALTHY',
  zone: 'z1',
};
const grpcOnly: EndpointInfo = { address: '10.0.0.2', port: 8001, health: 'HEALTHY' };

describe('restEndpoints', () => {
  it('keeps only endpoints with an HTTP port, each moved onto it with its other fields', () => {
    const out = restEndpoints([grpcOnly, withHttp, { ...grpcOnly, address: '10.0.0.3' }]);
    expect(out).toEqual([{ ...withHttp, port: 8080 }]);
  });

  it('gives nothing for a list where no endpoint has an HTTP port', () => {
    expect(restEndpoints([grpcOnly])).toEqual([]);
  });

  it('hands back the same array for the same list, and a new one for a new list', () => {
    const list = [withHttp];
    const first = restEndpoints(list);
    expect(restEndpoints(list)).toBe(first);
    expect(restEndpoints([withHttp])).not.toBe(first);
  });
});

describe('buildRestLoadAssignment', () => {
  it("names the version's REST cluster and lists only the HTTP ports", () => {
    const cla = buildRestLoadAssignment(ROUTE, 'v1', [grpcOnly, withHttp], 'envoy');
    expect(cla.clusterName).toBe('resnet/v1/http');
    const ports = cla.endpoints.flatMap((l) =>
      l.lbEndpoints.map((e) => {
        const ep = e.hostIdentifier.case === 'endpoint' ? e.hostIdentifier.value : undefined;
        const sa = ep?.address?.address.case === 'socketAddress' ? ep.address.address.value : undefined;
        return `${sa?.address}:${sa?.portSpecifier.case === 'portValue' ? sa.portSpecifier.value : '-'}`;
      }),
    );
    expect(ports).toEqual(['10.0.0.1:8080']);
  });
});
