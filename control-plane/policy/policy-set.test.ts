// The owner rule between policies when one id appears twice (a file and the live store both
// holding default/a, as `switchyard analyze` gathers them): the first is kept, and a policy
// never loses its model to itself.
import { describe, expect, it } from 'vitest';
import { checkPolicySet, parsePolicyFile, resolveOwners } from './index.js';

const route = (name: string, model: string, version: string) =>
  parsePolicyFile(
    `apiVersion: switchyard.dev/v1alpha1\nkind: ModelRoute\nmetadata: { name: ${name} }\nspec:\n  model: ${model}\n  versions: [{ name: ${version} }]\n`,
    `${name}.yaml`,
  )[0]!;

describe('one policy id twice', () => {
  it('keeps the first of the two and reports no conflict of the policy with itself', () => {
    const first = route('a', 'm', 'v1');
    const second = route('a', 'm', 'v2');
    expect(resolveOwners([first, second])).toEqual({ routes: [first], conflicts: [] });
    expect(resolveOwners([second, first])).toEqual({ routes: [second], conflicts: [] });
  });

  it('is reported as a duplicate only, not as a model claimed twice', () => {
    expect(checkPolicySet([route('a', 'm', 'v1'), route('a', 'm', 'v2')])).toEqual([
      { path: 'default/a.metadata.name', message: 'duplicate policy default/a' },
    ]);
  });

  it('still loses its model to a policy that sorts first', () => {
    const a = route('a', 'm', 'v1');
    const b1 = route('b', 'm', 'v1');
    const b2 = route('b', 'm', 'v2');
    expect(resolveOwners([b1, a, b2])).toEqual({
      routes: [a],
      conflicts: [
        { policy: 'default/b', model: 'm', owner: 'default/a' },
        { policy: 'default/b', model: 'm', owner: 'default/a' },
      ],
    });
  });
});
