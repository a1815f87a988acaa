import { describe, expect, it } from 'vitest';
import { desiredReplicas } from './scaling.js';

describe('desiredReplicas', () => {
  it('scales on the largest ratio: utilization, queue per replica, p99 against the objective', () => {
    expect(desiredReplicas({ ready: 2, utilization: 1.4, queueDepth: 0 }, 1, 10)).toEqual({
      desired: 4,
      driver: 'utilization',
      ratio: 2,
    });
    expect(desiredReplicas({ ready: 2, utilization: 0.7, queueDepth: 24 }, 1, 10)).toMatchObject({
      desired: 6,
      driver: 'queue',
    });
    expect(
      desiredReplicas({ ready: 2, utilization: 0.7, queueDepth: 0, p99Ms: 150, objectiveMs: 50 }, 1, 10),
    ).toMatchObject({ desired: 6, driver: 'latency' });
  });

  it('stays within [min, max]', () => {
    expect(desiredReplicas({ ready: 2, utilization: 7, queueDepth: 0 }, 1, 5).desired).toBe(5);
    expect(desiredReplicas({ ready: 4, utilization: 0.07, queueDepth: 0 }, 2, 5)).toMatchObject({
      desired: 2,
      driver: 'utilization',
    });
  });

  it('holds inside the tolerance band and without heartbeats; wants at least one replica when none is ready', () => {
    expect(desiredReplicas({ ready: 3, utilization: 0.74, queueDepth: 0 }, 1, 10)).toMatchObject({
      desired: 3,
      driver: 'hold',
    });
    expect(desiredReplicas({ ready: 3, queueDepth: 0 }, 1, 10)).toMatchObject({ desired: 3, driver: 'hold' });
    expect(desiredReplicas({ ready: 0, queueDepth: 0 }, 2, 10)).toMatchObject({
      desired: 2,
      driver: 'floor',
    });
    expect(desiredReplicas({ ready: 0, queueDepth: 0 }, 0, 10).desired).toBe(1);
  });
});
