// Make before break for weights, on hand-made endpoint tables (test/placement/ready-weights.test.ts
// drives the same code from discovery's table): who gets a held version's weight, how remainders
// are given out, and which objects stay the same so the translator's memos keep working.
import { describe, expect, it } from 'vitest';
import { policy } from '../../test/helpers/policy-yaml.js';
import { type ModelRoute, parsePolicyFile } from '../policy/index.js';
import { moveWeights, routesWithReadyWeights, withReadyWeights } from './ready-weights.js';
import type { EndpointInfo, EndpointTable } from './types.js';

const routeOf = (model: string, versions: string): ModelRoute =>
  parsePolicyFile(policy(model, `mtls: DISABLE\nversions:\n${versions}`), `${model}.yaml`)[0]!;

const ready: EndpointInfo = { address: '10.0.0.1', port: 9000, health: 'HEALTHY' };
/** A table where the named registry versions (`fraud:1` -> key `fraud/1`) have a ready pod. */
const readyFor = (...refs: string[]): EndpointTable =>
  new Map(refs.map((r) => [r.replace(':', '/'), [ready]]));

const weights = (r: ModelRoute) => r.spec.versions.map((v) => v.weight);

describe('moveWeights', () => {
  it('gives a remainder to the largest fraction first, then to the earlier version', () => {
    // 10 moved onto 1 and 2: exact shares 3.33 and 6.67, so the one left over goes to the 6.67.
    expect(moveWeights([10, 1, 2], new Set([0]), [1, 2])).toEqual([0, 4, 9]);
    // Equal shares of 10 among three: 3 each and the one left over to the first of them.
    expect(moveWeights([10, 0, 0, 0], new Set([0]), [1, 2, 3])).toEqual([0, 4, 3, 3]);
    // Two left over: one each to the first two, in order.
    expect(moveWeights([5, 1, 1, 1], new Set([0]), [1, 2, 3])).toEqual([0, 3, 3, 2]);
  });

  it('changes nothing when nothing is moved or nobody can take it', () => {
    expect(moveWeights([0, 50, 50], new Set([0]), [1, 2])).toEqual([0, 50, 50]);
    expect(moveWeights([40, 60], new Set([0]), [])).toEqual([40, 60]);
  });
});

describe('withReadyWeights', () => {
  it('holds back no registry version whose weight is already 0', () => {
    const route = routeOf(
      'fraud',
      `  - { name: v1, weight: 100, model: { registry: "fraud:1" } }
  - { name: v2, weight: 0, model: { registry: "fraud:2" } }`,
    );
    expect(withReadyWeights(route, readyFor('fraud:1'))).toBe(route);
  });

  it('shares the weight equally when every version that can take traffic is at 0', () => {
    const route = routeOf(
      'fraud',
      `  - { name: v1, weight: 0, model: { registry: "fraud:1" } }
  - { name: v2, weight: 0 }
  - { name: v3, weight: 100, model: { registry: "fraud:3" } }`,
    );
    expect(weights(withReadyWeights(route, readyFor('fraud:1')))).toEqual([50, 50, 0]);
  });

  it('follows the table when another version is held back, and keeps the versions it leaves alone', () => {
    const route = routeOf(
      'fraud',
      `  - { name: v1, weight: 30, model: { registry: "fraud:1" } }
  - { name: v2, weight: 30, model: { registry: "fraud:2" } }
  - { name: v3, weight: 40 }`,
    );
    const noV1 = withReadyWeights(route, readyFor('fraud:2'));
    expect(weights(noV1)).toEqual([0, 43, 57]);
    const noV2 = withReadyWeights(route, readyFor('fraud:1'));
    expect(weights(noV2)).toEqual([43, 0, 57]);
    // The same versions held back again: the very same route object.
    expect(withReadyWeights(route, readyFor('fraud:1'))).toBe(noV2);
    // Both held: v3 takes everything; a version whose weight does not change is not copied.
    const onlyV3 = withReadyWeights(route, new Map());
    expect(weights(onlyV3)).toEqual([0, 0, 100]);
    const kept = routeOf(
      'kept',
      `  - { name: v1, weight: 50, model: { registry: "kept:1" } }
  - { name: v2, weight: 0 }
  - { name: v3, weight: 50 }`,
    );
    const moved = withReadyWeights(kept, new Map());
    expect(weights(moved)).toEqual([0, 0, 100]);
    expect(moved.spec.versions[1]).toBe(kept.spec.versions[1]);
    expect(moved.spec.versions[2]).not.toBe(kept.spec.versions[2]);
  });
});

describe('withReadyWeights with many versions', () => {
  it('tells held sets apart whose indexes would run together ({1, 2, 3} and {1, 23})', () => {
    const weight = (i: number) => (i === 0 ? 80 : [1, 2, 3, 23].includes(i) ? 5 : 0);
    const lines = Array.from(
      { length: 24 },
      (_, i) => `  - { name: v${i}, weight: ${weight(i)}, model: { registry: "many:${i}" } }`,
    );
    const route = routeOf('many', lines.join('\n'));
    const readyExcept = (...held: number[]) =>
      readyFor(...lines.map((_, i) => `many:${i}`).filter((_, i) => !held.includes(i)));
    const a = weights(withReadyWeights(route, readyExcept(1, 2, 3)));
    const b = weights(withReadyWeights(route, readyExcept(1, 23)));
    expect([a[0], a[1], a[2], a[3], a[23]]).toEqual([94, 0, 0, 0, 6]);
    expect([b[0], b[1], b[2], b[3], b[23]]).toEqual([89, 0, 6, 5, 0]);
  });
});

describe('routesWithReadyWeights', () => {
  it('replaces only the routes that change, in a new array', () => {
    const held = routeOf(
      'a',
      `  - { name: v1, weight: 50, model: { registry: "a:1" } }
  - { name: v2, weight: 50 }`,
    );
    const plain = routeOf('b', '  - { name: v1, weight: 100 }');
    const routes = [plain, held];
    const out = routesWithReadyWeights(routes, new Map());
    expect(out).not.toBe(routes);
    expect(out[0]).toBe(plain);
    expect(weights(out[1]!)).toEqual([0, 100]);
    expect(routes[1]).toBe(held);
    expect(routesWithReadyWeights(routes, readyFor('a:1'))).toBe(routes);
  });
});
