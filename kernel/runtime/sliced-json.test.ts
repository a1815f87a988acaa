// The sliced JSON writer gives JSON.stringify(value, null, 2) character for character, for fixed
// edge cases and for generated values, and a large value does not hold the event loop in one go.
import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../test/helpers/collect-garbage.js';
import { loopStall } from '../../test/helpers/loop-stall.js';
import { seededRandom } from './seeded-random.js';
import { stringifySliced } from './sliced-json.js';

const STRINGS = ['', 'a', 'x\ny', 'quo"te', 'back\\slash', 'é✓', '\u2028', '  lead', 'tab\t', '{}', '[1]'];

function value(r: () => number, depth: number): unknown {
  const pick = Math.floor(r() * (depth > 3 ? 8 : 12));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return undefined;
    case 2:
      return Math.floor(r() * 2000) - 1000;
    case 3:
      return r() < 0.5 ? r() * 1e6 : [Number.NaN, -0, 1e21, Number.POSITIVE_INFINITY][Math.floor(r() * 4)];
    case 4:
      return STRINGS[Math.floor(r() * STRINGS.length)];
    case 5:
      return r() < 0.5;
    case 6:
      return new Date(Math.floor(r() * 1e12));
    case 7:
      return r() < 0.5 ? () => 1 : { toJSON: (key: string) => `json:${key}` };
    case 8:
    case 9: {
      const n = Math.floor(r() * 5);
      return Array.from({ length: n }, () => value(r, depth + 1));
    }
    default: {
      const n = Math.floor(r() * 5);
      const o: Record<string, unknown> = r() < 0.1 ? Object.create(null) : {};
      for (let i = 0; i < n; i++) o[STRINGS[Math.floor(r() * STRINGS.length)]! + i] = value(r, depth + 1);
      return o;
    }
  }
}

describe('stringifySliced', () => {
  it.each<[string, unknown]>([
    [
      'a list response',
      { policies: [{ a: 1, b: [1, 2, { c: 'x\ny' }], d: undefined }, { e: null }], errors: [] },
    ],
    [
      'nesting, empties and unwritable members',
      { a: { b: { c: [1, [2, [3]]] } }, e: {}, f: [], g: [undefined, () => 1] },
    ],
    ['a top-level array', [1, 'two', { three: 3 }, [], {}]],
    ['a string', 'str'],
    ['a number', 42],
    ['null', null],
    ['toJSON at the top', { toJSON: () => ({ x: [1] }) }],
    [
      'toJSON with its key',
      { k: { toJSON: (key: string) => key }, arr: [{ toJSON: (key: string) => `i${key}` }] },
    ],
    ['a toJSON result with a toJSON of its own', { k: { toJSON: () => ({ toJSON: () => 'never called' }) } }],
    ['odd keys and numbers', { 'quo"te': 'é✓\u2028', __proto__x: 1, n: -0, big: 1e21, nan: Number.NaN }],
    ['a Date and a Map', { at: new Date(0), m: new Map([[1, 2]]) }],
    // biome-ignore lint/suspicious/noSparseArray: a hole is what is tested
    ['a sparse array', { list: [1, , 3], top: [, { a: [, 1] }] }],
  ])('writes %s as JSON.stringify does', async (_, v) => {
    expect(await stringifySliced(v, 0)).toBe(JSON.stringify(v, null, 2));
  });

  it('writes 2,000 generated values as JSON.stringify does', async () => {
    // Seeded, so a failing case can be replayed.
    const r = seededRandom(20261201);
    for (let i = 0; i < 2000; i++) {
      const v = value(r, 0);
      const want = JSON.stringify(v, null, 2) as string | undefined;
      expect(await stringifySliced(v, i % 3 === 0 ? 0 : 1000)).toBe(want ?? '');
    }
  });

  it('throws what JSON.stringify throws (a BigInt)', async () => {
    await expect(stringifySliced({ list: [1n] }, 0)).rejects.toThrow(TypeError);
  });

  it('writes 12 MB of list members without holding the event loop for the whole', async () => {
    const member = (i: number) => ({
      name: `policy-${i}`,
      document: {
        spec: {
          versions: Array.from({ length: 32 }, (_, v) => ({
            name: `v${v}`,
            endpoints: Array.from({ length: 8 }, (_, e) => ({ address: `10.1.${v}.${e}`, port: 8000 + e })),
          })),
        },
      },
    });
    const body = { policies: Array.from({ length: 600 }, (_, i) => member(i)), errors: [] };
    const t0 = performance.now();
    const whole = JSON.stringify(body, null, 2);
    const wholeMs = performance.now() - t0;
    const parts: Buffer[] = [];
    // A full collection first: this file shares its worker with others (isolate: false), whose
    // leftovers a major collection's pause could otherwise put inside the measured stall (67.8
    // ms once in a full run, against 13-17 ms in the others); the stall is the writer's own.
    collectGarbage();
    const stall = await loopStall(async () => {
      // As the admin router sends it: each slice's text encoded as it ends.
      await stringifySliced(body, 8, (t) => parts.push(Buffer.from(t)));
    });
    const text = Buffer.concat(parts).toString();
    console.log(
      `${(whole.length / 1e6).toFixed(1)} MB: JSON.stringify ${wholeMs.toFixed(1)} ms in one go; sliced, longest stall ${stall.stallMs.toFixed(1)} ms`,
    );
    expect(text).toBe(whole);
    expect(stall.stallMs).toBeLessThan(Math.max(20, wholeMs / 2));
  });
});
