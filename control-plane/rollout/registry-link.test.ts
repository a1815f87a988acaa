import { describe, expect, it } from 'vitest';
import type { StoredPolicy } from '../store/policy-record.js';
import { canaryTargets } from './registry-link.js';

function policy(name: string, refs: Array<[string, string | undefined]>, rollout = true): StoredPolicy {
  return {
    namespace: 'default',
    name,
    revision: 1,
    record: {},
    route: {
      spec: {
        model: name,
        versions: refs.map(([v, ref]) => ({
          name: v,
          weight: 0,
          ...(ref ? { model: { registry: ref } } : {}),
        })),
        ...(rollout ? { rollout: { candidate: refs.at(-1)![0] } } : {}),
      },
    },
  } as unknown as StoredPolicy;
}

const ref = { name: 'fraud', version: '2' };

describe('canaryTargets', () => {
  it('names the route version backed by the registry version as the candidate', () => {
    const targets = canaryTargets(
      [
        policy('a', [
          ['stable', 'fraud:1'],
          ['next', 'fraud:2'],
          ['other', undefined],
        ]),
      ],
      ref,
    );
    expect(targets).toEqual([{ namespace: 'default', name: 'a', candidate: 'next' }]);
  });

  it('leaves out routes without a rollout template, without that version, or with it twice', () => {
    const targets = canaryTargets(
      [
        policy('no-template', [['v2', 'fraud:2']], false),
        policy('other-version', [['v3', 'fraud:3']]),
        policy('twice', [
          ['x', 'fraud:2'],
          ['y', 'fraud:2'],
        ]),
        policy('other-model', [['v2', 'scam:2']]),
      ],
      ref,
    );
    expect(targets).toEqual([]);
  });
});
