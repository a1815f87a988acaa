// The policy diff runs in a worker thread: what it answers is what rendering the effective YAML
// and diffing it on the spot would give, and a diff of two unrelated policies at the size
// limits costs the calling event loop next to nothing.
import { createTwoFilesPatch } from 'diff';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loopStall } from '../../test/helpers/loop-stall.js';
import { POLICY_LIMITS } from '../policy/limits.js';
import type { ModelRoute } from '../policy/types.js';
import { routeOf } from '../store/policy-record.js';
import { policyDiff } from './policy-diff.js';

function doc(model: string, seed: number, versions = 2, matchRules = 0) {
  const perVersion = Math.floor(POLICY_LIMITS.endpoints / Math.max(versions, 1));
  return {
    apiVersion: 'switchyard.dev/v1alpha1',
    kind: 'ModelRoute',
    metadata: { name: model, namespace: 'team' },
    spec: {
      model,
      versions: Array.from({ length: versions }, (_, i) => ({
        name: `v${i}`,
        weight: 1 + ((i + seed) % 7),
        endpoints: Array.from(
          { length: Math.min(perVersion, POLICY_LIMITS.endpointsPerVersion) },
          (_, j) => ({
            address: `10.${seed % 200}.${i}.${j + 1}`,
            port: 8000 + ((j + seed) % 900),
          }),
        ),
      })),
      match: Array.from({ length: matchRules }, (_, k) => ({
        headers: Object.fromEntries(
          Array.from({ length: POLICY_LIMITS.headersPerMatch }, (_, h) => [
            `x-h${h}-${seed}`,
            `c${k}-${seed}`,
          ]),
        ),
        version: `v${k}`,
      })),
    },
  };
}

const route = (model: string, seed: number, versions?: number, matchRules?: number): ModelRoute =>
  routeOf(doc(model, seed, versions, matchRules), 'test');

const yaml = (r: ModelRoute | undefined) => (r ? stringify(r) : '');

describe('policy diff', () => {
  it('answers what rendering and diffing on the calling thread gives', async () => {
    const a = route('mlp', 1);
    const b = route('mlp', 2, 3);
    const names = { oldName: 'live/team/mlp', newName: 'applied/team/mlp' };
    const changed = await policyDiff({ before: a, after: b, ...names });
    expect(changed).toEqual({
      changed: true,
      diff: createTwoFilesPatch(names.oldName, names.newName, yaml(a), yaml(b)),
    });
    expect(changed.diff).toMatch(/^\+ {4}- name: v2$/m);
    expect(await policyDiff({ before: a, after: route('mlp', 1), ...names })).toEqual({
      changed: false,
      diff: '',
    });
    // A new policy against nothing, and a deletion.
    expect((await policyDiff({ before: undefined, after: a, ...names })).diff).toBe(
      createTwoFilesPatch(names.oldName, names.newName, '', yaml(a)),
    );
    expect((await policyDiff({ before: a, after: undefined, ...names })).changed).toBe(true);
  });

  it('gives an audit record a patch even when nothing changed', async () => {
    const a = route('mlp', 1);
    const names = { oldName: 'team/mlp', newName: 'team/mlp', audit: true };
    const same = await policyDiff({ before: a, after: route('mlp', 1), ...names });
    expect(same).toEqual({
      changed: false,
      diff: createTwoFilesPatch('team/mlp', 'team/mlp', yaml(a), yaml(a), '', '', { context: 2 }),
    });
    expect(same.diff).toBe(`Index: team/mlp\n${'='.repeat(67)}\n--- team/mlp\n+++ team/mlp\n`);
    const b = route('mlp', 5);
    expect((await policyDiff({ before: a, after: b, ...names })).diff).toBe(
      createTwoFilesPatch('team/mlp', 'team/mlp', yaml(a), yaml(b), '', '', { context: 2 }),
    );
  });

  it('answers concurrent requests each with its own diff', async () => {
    const pairs = Array.from({ length: 12 }, (_, i) => [route(`m${i}`, i), route(`m${i}`, i + 1)] as const);
    const got = await Promise.all(
      pairs.map(([a, b], i) => policyDiff({ before: a, after: b, oldName: `a${i}`, newName: `b${i}` })),
    );
    got.forEach((g, i) => {
      const [a, b] = pairs[i]!;
      expect(g.diff).toBe(createTwoFilesPatch(`a${i}`, `b${i}`, yaml(a), yaml(b)));
    });
  });

  it('diffs two unrelated policies at the size limits without holding the event loop', async () => {
    const a = route('big', 3, POLICY_LIMITS.versions, POLICY_LIMITS.matchRules);
    const b = route('big', 101, POLICY_LIMITS.versions, POLICY_LIMITS.matchRules);
    // What the same work costs on the calling thread, for the printed comparison.
    const t0 = performance.now();
    createTwoFilesPatch('x', 'y', yaml(a), yaml(b));
    const inlineMs = performance.now() - t0;
    let result: Awaited<ReturnType<typeof policyDiff>> | undefined;
    const stall = await loopStall(async () => {
      result = await policyDiff({ before: a, after: b, oldName: 'x', newName: 'y' });
    });
    console.log(
      `max-size diff: ${inlineMs.toFixed(1)} ms on the calling thread; in the worker the loop's longest stall was ${stall.stallMs.toFixed(1)} ms`,
    );
    expect(result!.changed).toBe(true);
    expect(result!.diff.split('\n').length).toBeGreaterThan(500);
    expect(stall.stallMs).toBeLessThan(Math.max(15, inlineMs / 3));
  });
});
