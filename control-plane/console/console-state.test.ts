import { describe, expect, it } from 'vitest';
import type { PolicyView } from '../api/policy-views.js';
import type { Principal, Role } from '../auth/rbac.js';
import type { EndpointView } from '../pipeline/endpoint-view.js';
import type { ProxyStatus } from '../xds/status/proxy-registry.js';
import { type ConsoleState, seesAll, sessionOf, splitOf, visibleState } from './console-state.js';

const who = (role: Role, namespaces: string[]): Principal => ({
  id: `apikey:${role}-${namespaces.join('+')}`,
  kind: 'apikey',
  bindings: [{ role, namespaces }],
});

const policy = (
  namespace: string,
  model: string,
  weights: number[],
  extra: Partial<PolicyView> = {},
): PolicyView => ({
  namespace,
  name: model,
  model,
  revision: 1,
  versions: weights.map((weight, i) => ({ name: `v${i + 1}`, weight })),
  document: {},
  ...extra,
});

const state: ConsoleState = {
  policies: [policy('default', 'resnet', [90, 10]), policy('team-b', 'bert', [1, 3])],
  endpoints: [
    { model: 'resnet', version: 'v1', address: '10.0.0.1', port: 8001, health: 'HEALTHY', source: 'static' },
  ] as EndpointView[],
  proxies: [{ nodeId: 'envoy-1' } as ProxyStatus],
  problems: [
    {
      model: 'bert',
      policy: 'team-b/bert',
      code: 'SY_X',
      message: 'm',
      groups: [],
      serving: 'nothing',
      since: '',
    },
  ],
  rollouts: [
    { route: 'default/resnet' } as ConsoleState['rollouts'][number],
    { route: 'team-b/bert' } as ConsoleState['rollouts'][number],
  ],
  registry: {
    versions: [
      { name: 'resnet', version: '1', namespace: 'default' },
      { name: 'bert', version: '1', namespace: 'team-b' },
    ] as unknown as ConsoleState['registry']['versions'],
    placement: { leader: true, versions: [] },
  },
};

describe('visibleState', () => {
  it('gives a viewer of every namespace the shared state itself', () => {
    const p = who('viewer', ['*']);
    expect(seesAll(p)).toBe(true);
    expect(visibleState(state, p)).toBe(state);
  });

  it('cuts a namespace viewer to its namespace and drops the cluster-wide topics', () => {
    const v = visibleState(state, who('operator', ['default']));
    expect(v.policies.map((p) => p.model)).toEqual(['resnet']);
    expect(v.rollouts.map((r) => r.route)).toEqual(['default/resnet']);
    expect(v.registry.versions.map((r) => r.namespace)).toEqual(['default']);
    // As GET /api/v1/endpoints, /proxies, /snapshots and /placement refuse it.
    expect(v.endpoints).toEqual([]);
    expect(v.proxies).toEqual([]);
    expect(v.problems).toEqual([]);
    expect(v.registry.placement).toBeUndefined();
  });

  it('shows a caller with no binding nothing', () => {
    const v = visibleState(state, { id: 'anonymous', kind: 'anonymous', bindings: [] });
    expect([v.policies, v.endpoints, v.proxies, v.problems, v.rollouts, v.registry.versions]).toEqual([
      [],
      [],
      [],
      [],
      [],
      [],
    ]);
  });
});

describe('splitOf', () => {
  it('gives each version its share of the model in percent, to one decimal', () => {
    expect(splitOf(state.policies)).toEqual({ resnet: { v1: 90, v2: 10 }, bert: { v1: 25, v2: 75 } });
    expect(splitOf([policy('default', 'm', [1, 1, 1])])).toEqual({ m: { v1: 33.3, v2: 33.3, v3: 33.3 } });
  });

  it('leaves out a policy that is not served as written, and shows zero weights as zero', () => {
    const held = policy('default', 'held', [50, 50], {
      problem: { code: 'SY_POLICY_CONFLICT', message: 'm', serving: 'owner' },
    });
    expect(splitOf([held, policy('default', 'zero', [0, 0])])).toEqual({ zero: { v1: 0, v2: 0 } });
  });
});

describe('sessionOf', () => {
  it('tells the browser who it is and whether it may read the audit trail', () => {
    expect(sessionOf(who('admin', ['*']))).toMatchObject({ principal: 'apikey:admin-*', audit: true });
    expect(sessionOf(who('operator', ['*'])).audit).toBe(false);
  });
});
