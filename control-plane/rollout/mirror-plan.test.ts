import { describe, expect, it } from 'vitest';
import type { EndpointStatus } from '../endpoints/index.js';
import type { ModelRoute } from '../policy/index.js';
import { mirrorConfigs, plansFromRoutes } from './mirror-plan.js';

function ep(version: string, podId: string, port: number, state = 'HEALTHY'): EndpointStatus {
  return {
    model: 'm',
    version,
    podId,
    address: '10.0.0.1',
    port,
    region: 'r',
    zone: 'z',
    health: 'HEALTHY',
    state,
    lastSeenAgoMs: 0,
  } as EndpointStatus;
}

describe('mirror plans', () => {
  it('derives one plan per version with traffic from spec.mirror', () => {
    const route = {
      spec: {
        model: 'm',
        versions: [
          { name: '1', weight: 90 },
          { name: '2', weight: 10 },
          { name: '3', weight: 0 },
        ],
        mirror: { version: '3', percent: 20 },
      },
    } as unknown as ModelRoute;
    expect(plansFromRoutes([route], 0.5)).toEqual([
      { model: 'm', fromVersion: '1', toVersion: '3', percent: 20, tolerance: 0.5 },
      { model: 'm', fromVersion: '2', toVersion: '3', percent: 20, tolerance: 0.5 },
    ]);
    expect(
      plansFromRoutes([{ spec: { ...route.spec, mirror: undefined } } as unknown as ModelRoute]),
    ).toEqual([]);
  });

  it('tells each healthy stable pod the healthy candidate pods, and stops pods no longer planned', () => {
    const statuses = new Map([
      ['m/1', [ep('1', 'a', 1), ep('1', 'b', 2), ep('1', 'sick', 3, 'UNHEALTHY')]],
      ['m/2', [ep('2', 'c', 5), ep('2', 'd', 4), ep('2', 'e', 6, 'DRAINING')]],
    ]);
    const plan = { model: 'm', fromVersion: '1', toVersion: '2', percent: 20, tolerance: 0 };
    const out = mirrorConfigs([plan], statuses, ['old']);
    expect([...out.keys()].sort()).toEqual(['a', 'b', 'old']);
    expect(out.get('a')).toEqual({
      model: 'm',
      fromVersion: '1',
      toVersion: '2',
      percent: 20,
      targets: ['10.0.0.1:4', '10.0.0.1:5'],
      tolerance: 0,
    });
    expect(out.get('old')).toEqual({});
    // No healthy candidate: nothing to mirror to, so the stable pods are told to stop.
    const none = mirrorConfigs([{ ...plan, toVersion: '9' }], statuses, ['a']);
    expect(none.get('a')).toEqual({});
  });
});
