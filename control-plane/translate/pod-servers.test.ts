// Which pods serve which models, beyond the rules server-listener.test.ts checks: the order of
// pods sharing an address, and the discovered pods of a model whose policy names static endpoints.
import { describe, expect, it } from 'vitest';
import { policy } from '../../test/helpers/policy-yaml.js';
import { parsePolicyFile } from '../policy/index.js';
import { podServers } from './pod-servers.js';

const ep = (address: string, port: number) => ({ address, port, health: 'HEALTHY' as const });

describe('podServers', () => {
  it('sorts by address, then by port as a number', () => {
    const table = new Map([['m/v1', [ep('10.0.0.2', 8001), ep('10.0.0.1', 10001), ep('10.0.0.1', 9001)]]]);
    expect(podServers([], table).map((p) => `${p.address}:${p.port}`)).toEqual([
      '10.0.0.1:9001',
      '10.0.0.1:10001',
      '10.0.0.2:8001',
    ]);
  });

  it("keeps a model's discovered pods when its policy routes a version to static endpoints", () => {
    const st = parsePolicyFile(
      policy(
        'st',
        'mtls: STRICT\nversions: [{ name: v1, weight: 100, endpoints: [{ address: 10.0.0.5, port: 9100 }] }]',
      ),
      'st.yaml',
    )[0]!;
    const table = new Map([['st/v1', [ep('10.0.0.9', 8001)]]]);
    expect(podServers([st], table)).toEqual([
      { address: '10.0.0.5', port: 9100, models: ['st'], mtls: 'STRICT' },
      { address: '10.0.0.9', port: 8001, models: ['st'], mtls: 'STRICT' },
    ]);
  });

  it('lists the models of a pod sorted, whatever order the routes come in', () => {
    const r = (m: string) =>
      parsePolicyFile(policy(m, 'versions: [{ name: v1, weight: 100 }]'), `${m}.yaml`)[0]!;
    const table = new Map([
      ['b/v1', [ep('10.0.0.1', 8001)]],
      ['a/v1', [ep('10.0.0.1', 8001)]],
    ]);
    expect(podServers([r('b'), r('a')], table).map((p) => p.models)).toEqual([['a', 'b']]);
  });
});
