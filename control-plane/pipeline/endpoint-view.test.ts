// The endpoint listing of a registry version: its rows are the pods that report the registry's
// NAME:VERSION (what EDS routes to), named by the policy's version, not an empty "NO ENDPOINTS".
import { describe, expect, it } from 'vitest';
import { parsePolicyFile } from '../policy/index.js';
import { type EndpointInfo, endpointKey } from '../translate/types.js';
import { listEndpoints } from './endpoint-view.js';

const [route] = parsePolicyFile(
  `apiVersion: switchyard.dev/v1alpha1
kind: ModelRoute
metadata: { name: fraud }
spec:
  model: fraud
  versions:
    - { name: v1, weight: 50, model: { registry: "fraud:1" }, replicas: { min: 1 } }
    - { name: v2, weight: 50, model: { registry: "fraud:2" }, replicas: { min: 1 } }
`,
  'fraud.yaml',
);

const pod = (podId: string, port: number): EndpointInfo => ({
  address: '127.0.0.1',
  port,
  health: 'HEALTHY',
  podId,
});

describe('listEndpoints for registry versions', () => {
  it('lists the pods reporting the registry version under the policy version name', () => {
    const table = new Map([
      [endpointKey('fraud', '1'), [pod('a', 9001), pod('b', 9002)]],
      // A pod serving a version named like the policy's is not the registry version's endpoint.
      [endpointKey('fraud', 'v2'), [pod('c', 9003)]],
    ]);
    const rows = listEndpoints([route!], table);
    expect(rows.filter((r) => r.version === 'v1').map((r) => [r.model, r.podId, r.split])).toEqual([
      ['fraud', 'a', 50],
      ['fraud', 'b', 50],
    ]);
    const v2 = rows.filter((r) => r.version === 'v2');
    expect(v2).toHaveLength(1);
    expect(v2[0]).toMatchObject({ empty: true, state: 'NO ENDPOINTS' });
  });

  it('takes the detailed statuses by the registry key too, renamed to the policy version', () => {
    const statuses = new Map([
      [
        endpointKey('fraud', '2'),
        [{ ...pod('d', 9004), model: 'fraud', version: '2', state: 'HEALTHY', lastSeenAgoMs: 0 }],
      ],
    ]);
    const rows = listEndpoints([route!], new Map(), statuses);
    expect(rows.find((r) => r.podId === 'd')).toMatchObject({ model: 'fraud', version: 'v2', port: 9004 });
  });
});
