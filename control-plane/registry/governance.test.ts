import { describe, expect, it } from 'vitest';
import { parsePolicy, policyDocument, promotionFailures } from './governance.js';
import type { RegistryVersion } from './record.js';

const version = (over: Partial<RegistryVersion> = {}): RegistryVersion => ({
  name: 'fraud',
  version: '2',
  namespace: 'risk',
  digest: 'sha256:00',
  sizeBytes: 1,
  objectName: 'fraud/2',
  sealedDataKey: '{}',
  inputs: [],
  outputs: [],
  labels: {},
  metrics: { auc: 0.87 },
  regions: [],
  stage: 'staging',
  pushedBy: 'jwt:alice',
  pushedAt: '2026-01-01T00:00:00Z',
  approvals: [],
  stageHistory: [],
  ...over,
});

const policy = parsePolicy(
  { stages: { production: ['metric auc >= 0.90', 'approval', 'canary completed', 'from canary'] } },
  'test',
);

describe('promotion policies', () => {
  it('lists every failing rule, each saying why', () => {
    expect(promotionFailures(policy, version(), 'production')).toEqual([
      'metric auc >= 0.90: auc is 0.87',
      'approval: no approval for production by an admin other than the pusher jwt:alice',
      'canary completed: no completed canary is recorded',
      'from canary: the version is in staging',
    ]);
  });

  it('allows a change that meets every rule, and stages without rules', () => {
    const ok = version({
      metrics: { auc: 0.91 },
      stage: 'canary',
      approvals: [{ by: 'jwt:bob', stage: 'production', at: 'x' }],
      canaryCompleted: { at: 'x', by: 'system:rollout' },
    });
    expect(promotionFailures(policy, ok, 'production')).toEqual([]);
    expect(promotionFailures(policy, version(), 'canary')).toEqual([]);
  });

  it("does not count the pusher's approval, an approval for another stage or a missing metric", () => {
    const v = version({
      metrics: {},
      approvals: [
        { by: 'jwt:alice', stage: 'production', at: 'x' },
        { by: 'jwt:bob', stage: 'canary', at: 'x' },
      ],
    });
    const f = promotionFailures(policy, v, 'production');
    expect(f[0]).toBe('metric auc >= 0.90: the version has no metric auc');
    expect(f[1]).toContain('the pusher approved it');
  });

  it('refuses a malformed policy naming every problem by path', () => {
    expect(() =>
      parsePolicy({ stages: { production: ['metric auc => 1', 'from nowhere'], live: [] } }, 'risk'),
    ).toThrow(
      expect.objectContaining({
        code: 'SY_POLICY_INVALID',
        issues: [
          { path: 'stages.production[0]', message: expect.stringContaining('is not a rule') },
          {
            path: 'stages.production[1]',
            message: 'unknown stage nowhere (stages: none, staging, canary, production, archived)',
          },
          { path: 'stages.live', message: expect.stringContaining('unknown stage') },
        ],
      }),
    );
    expect(() => parsePolicy([], 'risk')).toThrow(/stages/);
  });

  it('round-trips through its JSON form', () => {
    expect(parsePolicy(policyDocument(policy), 'again')).toEqual(policy);
  });
});
