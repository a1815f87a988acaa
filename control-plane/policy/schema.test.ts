// The declarative checker on its own: each kind's message, every bound at its edge, problems
// collected rather than stopping at the first, defaults filled in, and the paths that name them.
import { describe, expect, it } from 'vitest';
import type { Issue } from '../../kernel/errors/index.js';
import { checkObject, checkValue, type Field, isPlainObject, joinPath, type Schema } from './schema.js';

function check(schema: Schema, value: unknown, path = 'spec.x'): { value: unknown; issues: Issue[] } {
  const issues: Issue[] = [];
  return { value: checkValue(schema, value, path, issues), issues };
}

describe('joinPath', () => {
  it('indexes a list item with brackets', () => {
    expect(joinPath('spec.versions', 2)).toBe('spec.versions[2]');
    expect(joinPath('', 0)).toBe('[0]');
  });

  it('joins a plain key with a dot, or starts the path with it', () => {
    expect(joinPath('spec', 'my-key_09AZ')).toBe('spec.my-key_09AZ');
    expect(joinPath('', 'spec')).toBe('spec');
  });

  it.each([
    ['x y', '"x y"'],
    ['.a', '".a"'],
    ['a.', '"a."'],
    ['a/b', '"a/b"'],
    ['', '""'],
  ])('quotes the key %j, whose characters would confuse the path', (key, segment) => {
    expect(joinPath('spec', key)).toBe(`spec.${segment}`);
    expect(joinPath('', key)).toBe(segment);
  });
});

describe('isPlainObject', () => {
  it('takes a mapping, and neither null, a list nor a scalar', () => {
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject({ a: 1 })).toBe(true);
    expect(isPlainObject(null)).toBe(false);
    expect(isPlainObject([])).toBe(false);
    expect(isPlainObject('a')).toBe(false);
    expect(isPlainObject(1)).toBe(false);
    expect(isPlainObject(undefined)).toBe(false);
  });
});

describe('checkValue: the wrong type is named in words', () => {
  it.each<[Schema, unknown, string]>([
    [{ kind: 'string' }, 1, 'must be a string'],
    [{ kind: 'int' }, 'a', 'must be an integer'],
    [{ kind: 'int' }, 1.5, 'must be an integer'],
    [{ kind: 'int' }, Number.NaN, 'must be an integer'],
    [{ kind: 'number' }, 'a', 'must be a number'],
    [{ kind: 'number' }, Number.POSITIVE_INFINITY, 'must be a number'],
    [{ kind: 'number' }, Number.NaN, 'must be a number'],
    [{ kind: 'bool' }, 'true', 'must be true or false'],
    [{ kind: 'duration' }, 5, '5 is not a duration like 250ms, 1s or 1m30s'],
    [{ kind: 'duration' }, 'soon', '"soon" is not a duration like 250ms, 1s or 1m30s'],
    [{ kind: 'list', items: { kind: 'string' } }, 'a', 'must be a list'],
    [{ kind: 'list', items: { kind: 'string' } }, { 0: 'a' }, 'must be a list'],
    [{ kind: 'object', fields: {} }, [], 'must be a mapping'],
    [{ kind: 'object', fields: {} }, 'a', 'must be a mapping'],
    [{ kind: 'map', key: { kind: 'string' }, values: { kind: 'int' } }, ['a'], 'must be a mapping'],
    [{ kind: 'map', key: { kind: 'string' }, values: { kind: 'int' } }, 3, 'must be a mapping'],
  ])('%j refuses %j', (schema, value, message) => {
    expect(check(schema, value)).toEqual({ value: undefined, issues: [{ path: 'spec.x', message }] });
  });

  it.each<[Schema, unknown]>([
    [{ kind: 'string' }, ''],
    [{ kind: 'int' }, -3],
    [{ kind: 'number' }, 1.5],
    [{ kind: 'bool' }, false],
    [{ kind: 'duration' }, '1m30s'],
    [{ kind: 'duration' }, '0s'],
  ])('%j takes %j as it is', (schema, value) => {
    expect(check(schema, value)).toEqual({ value, issues: [] });
  });
});

describe('checkValue: numeric bounds', () => {
  const schema: Schema = { kind: 'number', min: 1, max: 10 };

  it('takes both ends of the range', () => {
    expect(check(schema, 1)).toEqual({ value: 1, issues: [] });
    expect(check(schema, 10)).toEqual({ value: 10, issues: [] });
  });

  it('refuses a value past either end, saying which', () => {
    expect(check(schema, 0.5)).toEqual({
      value: undefined,
      issues: [{ path: 'spec.x', message: 'must be >= 1' }],
    });
    expect(check(schema, 10.5)).toEqual({
      value: undefined,
      issues: [{ path: 'spec.x', message: 'must be <= 10' }],
    });
  });

  it('keeps `above` strict: the bound itself is refused, anything over it taken', () => {
    const above: Schema = { kind: 'number', above: 0 };
    expect(check(above, 0)).toEqual({
      value: undefined,
      issues: [{ path: 'spec.x', message: 'must be > 0' }],
    });
    expect(check(above, 0.001)).toEqual({ value: 0.001, issues: [] });
  });

  it('reports every bound a value breaks, in order', () => {
    const both: Schema = { kind: 'number', min: 5, above: 3 };
    expect(check(both, 2).issues.map((i) => i.message)).toEqual(['must be >= 5', 'must be > 3']);
    expect(check(both, 4).issues.map((i) => i.message)).toEqual(['must be >= 5']);
    const inverted: Schema = { kind: 'int', min: 5, max: 3 };
    expect(check(inverted, 4).issues.map((i) => i.message)).toEqual(['must be >= 5', 'must be <= 3']);
  });

  it('applies bounds to integers too', () => {
    expect(check({ kind: 'int', min: 0, max: 2 }, 3).issues).toEqual([
      { path: 'spec.x', message: 'must be <= 2' },
    ]);
    expect(check({ kind: 'int', min: 0, max: 2 }, 2)).toEqual({ value: 2, issues: [] });
  });
});

describe('checkValue: strings', () => {
  it('refuses a value outside oneOf, listing the choices and suggesting the nearest', () => {
    const schema: Schema = { kind: 'string', oneOf: ['ROUND_ROBIN', 'RING_HASH'] };
    expect(check(schema, 'RING_HASH')).toEqual({ value: 'RING_HASH', issues: [] });
    expect(check(schema, 'RING_HASHH')).toEqual({
      value: undefined,
      issues: [
        { path: 'spec.x', message: 'must be one of ROUND_ROBIN, RING_HASH (did you mean "RING_HASH"?)' },
      ],
    });
    expect(check(schema, 'zzz').issues[0]?.message).toBe('must be one of ROUND_ROBIN, RING_HASH');
  });

  it('counts maxLength inclusively', () => {
    const schema: Schema = { kind: 'string', maxLength: 3 };
    expect(check(schema, 'abc')).toEqual({ value: 'abc', issues: [] });
    expect(check(schema, 'abcd')).toEqual({
      value: undefined,
      issues: [{ path: 'spec.x', message: 'must be at most 3 characters' }],
    });
  });

  it('says what a pattern means, or shows the pattern where no hint is given', () => {
    const hinted: Schema = { kind: 'string', pattern: /^[a-z]+$/, hint: 'lower-case letters' };
    expect(check(hinted, 'abc')).toEqual({ value: 'abc', issues: [] });
    expect(check(hinted, 'aB')).toEqual({
      value: undefined,
      issues: [{ path: 'spec.x', message: '"aB" is not lower-case letters' }],
    });
    expect(check({ kind: 'string', pattern: /^[a-z]+$/ }, 'aB').issues[0]?.message).toBe(
      '"aB" is not matching /^[a-z]+$/',
    );
  });

  it('stops at the first rule a string breaks', () => {
    const schema: Schema = { kind: 'string', oneOf: ['abcd'], maxLength: 2, pattern: /^x/ };
    expect(check(schema, 'abcd').issues.map((i) => i.message)).toEqual(['must be at most 2 characters']);
    expect(check({ kind: 'string', maxLength: 2, pattern: /^x/ }, 'abc').issues).toHaveLength(1);
  });
});

describe('checkValue: durations', () => {
  it('refuses a zero duration only when it must be positive', () => {
    expect(check({ kind: 'duration', positive: true }, '0s')).toEqual({
      value: undefined,
      issues: [{ path: 'spec.x', message: 'must be longer than 0s' }],
    });
    expect(check({ kind: 'duration', positive: true }, '1us')).toEqual({ value: '1us', issues: [] });
    expect(check({ kind: 'duration', positive: false }, '0s')).toEqual({ value: '0s', issues: [] });
  });
});

describe('checkValue: lists', () => {
  const ints: Schema = { kind: 'list', items: { kind: 'int', min: 0 }, minItems: 2, maxItems: 3 };

  it('takes a list within its bounds and checks each item under its index', () => {
    expect(check(ints, [0, 1])).toEqual({ value: [0, 1], issues: [] });
    expect(check(ints, [0, 1, 2])).toEqual({ value: [0, 1, 2], issues: [] });
    expect(check(ints, [0, -1, 'a'])).toEqual({
      value: [0, undefined, undefined],
      issues: [
        { path: 'spec.x[1]', message: 'must be >= 0' },
        { path: 'spec.x[2]', message: 'must be an integer' },
      ],
    });
  });

  it('refuses too few items and still checks those given', () => {
    expect(check(ints, [-1])).toEqual({
      value: [undefined],
      issues: [
        { path: 'spec.x', message: 'must have at least 2 item(s)' },
        { path: 'spec.x[0]', message: 'must be >= 0' },
      ],
    });
  });

  it('refuses too many items and checks only the first maxItems of them', () => {
    expect(check(ints, [0, 1, 2, -1, -2])).toEqual({
      value: [0, 1, 2],
      issues: [{ path: 'spec.x', message: 'has 5 items; at most 3 are allowed' }],
    });
  });

  it('names each repeated item of a unique list, once per repeat', () => {
    const unique: Schema = { kind: 'list', items: { kind: 'string' }, unique: true };
    expect(check(unique, ['a', 'b', 'a', 'a'])).toEqual({
      value: ['a', 'b', 'a', 'a'],
      issues: [
        { path: 'spec.x[2]', message: 'duplicate "a"' },
        { path: 'spec.x[3]', message: 'duplicate "a"' },
      ],
    });
    expect(check({ kind: 'list', items: { kind: 'string' } }, ['a', 'a']).issues).toEqual([]);
  });

  it('tells repeated structured items apart by their content', () => {
    const unique: Schema = { kind: 'list', items: { kind: 'list', items: { kind: 'int' } }, unique: true };
    expect(check(unique, [[1], [1, 2], [1]]).issues).toEqual([
      { path: 'spec.x[2]', message: 'duplicate [1]' },
    ]);
  });
});

describe('checkObject', () => {
  const fields: Record<string, Field> = {
    name: { schema: { kind: 'string' }, required: true },
    replicas: { schema: { kind: 'int', min: 1 }, default: 1 },
    labels: { schema: { kind: 'list', items: { kind: 'string' } }, default: ['a'] },
    note: { schema: { kind: 'string' } },
  };
  const run = (value: unknown) => {
    const issues: Issue[] = [];
    return { value: checkObject(fields, value, 'spec', issues), issues };
  };

  it('fills the defaults of absent or null fields and leaves out those without one', () => {
    const { value, issues } = run({ name: 'a', replicas: null });
    expect(issues).toEqual([]);
    expect(value).toEqual({ name: 'a', replicas: 1, labels: ['a'] });
    expect(Object.keys(value ?? {})).toEqual(['name', 'replicas', 'labels']);
  });

  it('gives each document its own copy of a default', () => {
    const first = run({ name: 'a' }).value as { labels: string[] };
    first.labels.push('b');
    expect((run({ name: 'b' }).value as { labels: string[] }).labels).toEqual(['a']);
    expect(fields.labels?.default).toEqual(['a']);
  });

  it('refuses a missing or null required field', () => {
    expect(run({}).issues).toEqual([{ path: 'spec.name', message: 'is required' }]);
    expect(run({ name: null }).issues).toEqual([{ path: 'spec.name', message: 'is required' }]);
  });

  it('keeps the checked values and leaves out those refused', () => {
    expect(run({ name: 'a', replicas: 3, note: 'n' })).toEqual({
      value: { name: 'a', replicas: 3, labels: ['a'], note: 'n' },
      issues: [],
    });
    const refused = run({ name: 'a', replicas: 0, note: 5 });
    expect(refused.value).toEqual({ name: 'a', labels: ['a'] });
    expect(Object.hasOwn(refused.value ?? {}, 'replicas')).toBe(false);
    expect(refused.issues).toEqual([
      { path: 'spec.replicas', message: 'must be >= 1' },
      { path: 'spec.note', message: 'must be a string' },
    ]);
  });

  it('names unknown keys, suggesting the field meant, and still checks the known ones', () => {
    expect(run({ name: 1, replica: 2, zzzzzz: 3 }).issues).toEqual([
      { path: 'spec.replica', message: 'unknown field (did you mean "replicas"?)' },
      { path: 'spec.zzzzzz', message: 'unknown field' },
      { path: 'spec.name', message: 'must be a string' },
    ]);
  });

  it('does not take an inherited property for a declared field', () => {
    expect(run({ name: 'a', toString: 'x' }).issues).toEqual([
      { path: 'spec.toString', message: 'unknown field' },
    ]);
  });

  it('refuses a value that is not a mapping', () => {
    expect(run(null)).toEqual({ value: undefined, issues: [{ path: 'spec', message: 'must be a mapping' }] });
  });

  it('is what an object schema checks, under the nested path', () => {
    const schema: Schema = { kind: 'object', fields: { inner: { schema: { kind: 'object', fields } } } };
    expect(check(schema, { inner: {} }, '')).toEqual({
      value: { inner: { replicas: 1, labels: ['a'] } },
      issues: [{ path: 'inner.name', message: 'is required' }],
    });
  });
});

describe('checkValue: maps', () => {
  const schema: Schema = {
    kind: 'map',
    key: { kind: 'string', pattern: /^[a-z]+$/, hint: 'lower-case' },
    values: { kind: 'int', min: 0 },
    minEntries: 1,
    maxEntries: 2,
  };

  it('checks each key and value under the key, keeping the entries that pass both', () => {
    expect(check(schema, { a: 1, b: 2 })).toEqual({ value: { a: 1, b: 2 }, issues: [] });
    // Strict: a refused entry must be left out, not kept as a key holding `undefined`.
    expect(check(schema, { a: -1, B: 2 })).toStrictEqual({
      value: {},
      issues: [
        { path: 'spec.x.a', message: 'must be >= 0' },
        { path: 'spec.x.B', message: '"B" is not lower-case' },
      ],
    });
  });

  it('takes exactly minEntries entries', () => {
    expect(check({ ...schema, minEntries: 2 }, { a: 1, b: 2 })).toEqual({
      value: { a: 1, b: 2 },
      issues: [],
    });
  });

  it('refuses too few entries, in the singular or the plural', () => {
    expect(check(schema, {})).toEqual({
      value: {},
      issues: [{ path: 'spec.x', message: 'must have at least 1 entry' }],
    });
    expect(check({ ...schema, minEntries: 2 }, { a: 1 }).issues).toEqual([
      { path: 'spec.x', message: 'must have at least 2 entries' },
    ]);
  });

  it('refuses too many entries and checks only the first maxEntries of them', () => {
    expect(check(schema, { a: 1, b: 2, c: -1 })).toEqual({
      value: { a: 1, b: 2 },
      issues: [{ path: 'spec.x', message: 'has 3 entries; at most 2 are allowed' }],
    });
  });
});

describe('checkValue: custom checks', () => {
  it('hands the value, the path and the problem list to the check, and returns its answer', () => {
    const seen: unknown[] = [];
    const schema: Schema = {
      kind: 'custom',
      check: (value, path, issues) => {
        seen.push(value, path);
        issues.push({ path, message: 'custom' });
        return 'normalized';
      },
    };
    expect(check(schema, 7)).toEqual({
      value: 'normalized',
      issues: [{ path: 'spec.x', message: 'custom' }],
    });
    expect(seen).toEqual([7, 'spec.x']);
  });
});
