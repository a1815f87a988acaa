// The PGV checker on repeated fields, maps, oneofs and nested messages of probe types: item and
// pair counts, per-item and per-key rules, skip, disabled messages and required oneofs.
import { describe, expect, it } from 'vitest';
import { fieldCheck } from './pgv-rules.js';
import { checkProbe, type Rules } from './testdata/check.js';
import { type FieldSpec, probe, T } from './testdata/synthetic.js';

const minLen2: Rules = { type: { case: 'string', value: { minLen: 2n } } };
const positive: Rules = { type: { case: 'int32', value: { gt: 0 } } };

describe('repeated fields', () => {
  const list = (value: Record<string, unknown>, f: unknown[], type = T.INT32) =>
    checkProbe([{ name: 'f', type, repeated: true, rules: { type: { case: 'repeated', value } } }], { f });
  it('checks item counts at their edges, an empty list included', () => {
    expect([list({ minItems: 1n }, []), list({ minItems: 1n }, [1])]).toEqual([
      [{ path: 'f', message: 'must have at least 1 item(s)' }],
      [],
    ]);
    expect([list({ maxItems: 2n }, [1, 2, 3]), list({ maxItems: 2n }, [1, 2])]).toEqual([
      [{ path: 'f', message: 'must have at most 2 item(s)' }],
      [],
    ]);
  });
  it('checks uniqueness only when asked', () => {
    expect([
      list({ unique: true }, [1, 2, 1]),
      list({ unique: true }, [1, 2]),
      list({ unique: false }, [1, 1]),
    ]).toEqual([[{ path: 'f', message: 'items must be unique' }], [], []]);
  });
  it('checks every item with its index, skipping empty ones under ignore_empty', () => {
    expect(list({ items: minLen2 }, ['ab', 'x', ''], T.STRING)).toEqual([
      { path: 'f[1]', message: 'must be at least 2 character(s) long' },
      { path: 'f[2]', message: 'must be at least 2 character(s) long' },
    ]);
    const lenient: Rules = { type: { case: 'string', value: { minLen: 2n, ignoreEmpty: true } } };
    expect(list({ items: lenient }, ['ab', 'x', ''], T.STRING)).toEqual([
      { path: 'f[1]', message: 'must be at least 2 character(s) long' },
    ]);
  });
});

describe('maps', () => {
  const map = (value: Record<string, unknown>, f: Record<string, number | string>, values = T.INT32) =>
    checkProbe(
      [
        {
          name: 'f',
          type: T.MESSAGE,
          map: { key: T.STRING, value: values },
          rules: { type: { case: 'map', value } },
        },
      ],
      {
        f,
      },
    );
  it('checks pair counts at their edges', () => {
    expect([map({ minPairs: 1n }, {}), map({ minPairs: 1n }, { a: 1 })]).toEqual([
      [{ path: 'f', message: 'must have at least 1 entr(ies)' }],
      [],
    ]);
    expect([map({ maxPairs: 1n }, { a: 1, b: 2 }), map({ maxPairs: 1n }, { a: 1 })]).toEqual([
      [{ path: 'f', message: 'must have at most 1 entr(ies)' }],
      [],
    ]);
  });
  it('checks keys and values, naming the entry by its quoted key', () => {
    expect(map({ keys: minLen2, values: positive }, { ab: 1, c: 2, de: 0 })).toEqual([
      { path: 'f["c"]', message: 'must be at least 2 character(s) long' },
      { path: 'f["de"]', message: 'must be > 0' },
    ]);
  });
  it('skips an empty key under its own ignore_empty, as for list items', () => {
    const lenientKey: Rules = { type: { case: 'string', value: { minLen: 2n, ignoreEmpty: true } } };
    expect(map({ keys: lenientKey, values: positive }, { '': 3, c: 1, de: -1 })).toEqual([
      { path: 'f["c"]', message: 'must be at least 2 character(s) long' },
      { path: 'f["de"]', message: 'must be > 0' },
    ]);
    expect(map({ keys: minLen2 }, { '': 3 })).toEqual([
      { path: 'f[""]', message: 'must be at least 2 character(s) long' },
    ]);
  });
  it('skips an empty value under its own ignore_empty', () => {
    const labels = (values: Rules, f: Record<string, string>) => map({ values }, f, T.STRING);
    const lenient: Rules = { type: { case: 'string', value: { minLen: 2n, ignoreEmpty: true } } };
    expect([labels(lenient, { a: '', b: 'x', c: 'ok' }), labels(minLen2, { a: '' })]).toEqual([
      [{ path: 'f["b"]', message: 'must be at least 2 character(s) long' }],
      [{ path: 'f["a"]', message: 'must be at least 2 character(s) long' }],
    ]);
  });
});

// A probe's own type, for nesting: `child` and `children` hold further probes.
const nested = (rules?: Rules): FieldSpec[] => [
  { name: 'n', type: T.INT32, rules: positive },
  { name: 'child', type: T.MESSAGE, typeName: '.probe.Probe', ...(rules ? { rules } : {}) },
  { name: 'children', type: T.MESSAGE, typeName: '.probe.Probe', repeated: true },
  {
    name: 'by_name',
    type: T.MESSAGE,
    map: { key: T.STRING, value: T.MESSAGE, valueTypeName: '.probe.Probe' },
  },
];

describe('nested messages', () => {
  it('descends into singular, repeated and map message fields with their paths', () => {
    const init = {
      n: 1,
      child: { n: 0, child: { n: -1 } },
      children: [{ n: 1 }, { n: 0 }],
      byName: { ok: { n: 1 }, bad: { n: 0 } },
    };
    expect(checkProbe(nested(), init)).toEqual([
      { path: 'child.n', message: 'must be > 0' },
      { path: 'child.child.n', message: 'must be > 0' },
      { path: 'children[1].n', message: 'must be > 0' },
      { path: 'by_name["bad"].n', message: 'must be > 0' },
    ]);
  });
  it("does not descend under message.skip, but still applies the field's own rules", () => {
    expect(checkProbe(nested({ message: { skip: true } }), { n: 1, child: { n: 0 } })).toEqual([]);
    expect(checkProbe(nested({ message: { skip: true, required: true } }), { n: 1 })).toEqual([
      { path: 'child', message: 'is required' },
    ]);
  });
  it('descends into a repeated field that has rules of its own, and not into a map marked message.skip', () => {
    const fields: FieldSpec[] = [
      { name: 'n', type: T.INT32, rules: positive },
      {
        name: 'children',
        type: T.MESSAGE,
        typeName: '.probe.Probe',
        repeated: true,
        rules: { type: { case: 'repeated', value: { minItems: 1n } } },
      },
      {
        name: 'by_name',
        type: T.MESSAGE,
        map: { key: T.STRING, value: T.MESSAGE, valueTypeName: '.probe.Probe' },
        rules: { message: { skip: true } },
      },
    ];
    // The child is a probe too: its own empty list breaks the same min_items.
    expect(checkProbe(fields, { n: 1, children: [{ n: 0 }], byName: { x: { n: 0 } } })).toEqual([
      { path: 'children[0].n', message: 'must be > 0' },
      { path: 'children[0].children', message: 'must have at least 1 item(s)' },
    ]);
  });
  it('does not descend into a repeated field marked message.skip', () => {
    const fields: FieldSpec[] = [
      { name: 'n', type: T.INT32, rules: positive },
      {
        name: 'children',
        type: T.MESSAGE,
        typeName: '.probe.Probe',
        repeated: true,
        rules: { message: { skip: true } },
      },
    ];
    expect(checkProbe(fields, { n: 1, children: [{ n: 0 }] })).toEqual([]);
  });
  it('skips items under items.message.skip', () => {
    const fields: FieldSpec[] = [
      { name: 'n', type: T.INT32, rules: positive },
      {
        name: 'children',
        type: T.MESSAGE,
        typeName: '.probe.Probe',
        repeated: true,
        rules: { type: { case: 'repeated', value: { minItems: 1n, items: { message: { skip: true } } } } },
      },
    ];
    expect(checkProbe(fields, { n: 1, children: [{ n: 0 }] })).toEqual([]);
    expect(checkProbe(fields, { n: 1 })).toEqual([
      { path: 'children', message: 'must have at least 1 item(s)' },
    ]);
  });
  it('checks nothing in a message marked disabled', () => {
    expect(checkProbe({ fields: nested(), disabled: true }, { n: 0, child: { n: 0 } })).toEqual([]);
  });
});

describe('oneofs', () => {
  const fields: FieldSpec[] = [
    { name: 'a', type: T.INT32, oneof: 0, rules: positive },
    { name: 'b', type: T.STRING, oneof: 0, rules: minLen2 },
  ];
  it("applies a member's rules only when it is the member set", () => {
    expect(checkProbe({ fields, oneofs: [{ name: 'kind' }] }, { kind: { case: 'b', value: 'xy' } })).toEqual(
      [],
    );
    expect(checkProbe({ fields, oneofs: [{ name: 'kind' }] }, { kind: { case: 'a', value: 0 } })).toEqual([
      { path: 'a', message: 'must be > 0' },
    ]);
    expect(checkProbe({ fields, oneofs: [{ name: 'kind' }] }, {})).toEqual([]);
  });
  it('does not require a member marked required while another member is set', () => {
    const durations: FieldSpec[] = [
      {
        name: 'a',
        type: T.MESSAGE,
        typeName: '.google.protobuf.Duration',
        oneof: 0,
        rules: { message: { required: true } },
      },
      { name: 'b', type: T.STRING, oneof: 0 },
    ];
    expect(
      checkProbe({ fields: durations, oneofs: [{ name: 'kind' }] }, { kind: { case: 'b', value: 'x' } }),
    ).toEqual([]);
  });
  it('requires a member of a required oneof, naming them all', () => {
    expect(checkProbe({ fields, oneofs: [{ name: 'kind', required: true }] }, {})).toEqual([
      { path: 'kind', message: 'one of a, b is required' },
    ]);
    expect(
      checkProbe({ fields, oneofs: [{ name: 'kind', required: true }] }, { kind: { case: 'a', value: 1 } }),
    ).toEqual([]);
  });
});

describe('values the checker does not walk', () => {
  it('leaves JSON values (Struct, Value, ListValue) alone, whatever they hold', () => {
    const fields: FieldSpec[] = [
      { name: 'n', type: T.INT32, rules: positive },
      { name: 's', type: T.MESSAGE, typeName: '.google.protobuf.Struct' },
      { name: 'v', type: T.MESSAGE, typeName: '.google.protobuf.Value' },
      { name: 'l', type: T.MESSAGE, typeName: '.google.protobuf.ListValue' },
    ];
    expect(checkProbe(fields, { n: 1, s: { a: { b: [1] } }, v: { c: 'd' }, l: [{ e: 1 }, 2] })).toEqual([]);
  });
  it('passes an Any that is set but empty (no type URL) without looking it up', () => {
    const fields: FieldSpec[] = [{ name: 'a', type: T.MESSAGE, typeName: '.google.protobuf.Any' }];
    expect(checkProbe(fields, { a: {} })).toEqual([]);
    expect(checkProbe(fields, { a: { typeUrl: 'type.googleapis.com/x.Y' } })).toEqual([
      { path: 'a', message: 'cannot check type.googleapis.com/x.Y: type not in the registry' },
    ]);
  });
});

describe('fieldCheck', () => {
  it('has no check for a field without an annotation, and the same check for a field each time', () => {
    const { desc } = probe({
      fields: [
        { name: 'plain', type: T.INT32 },
        { name: 'ruled', type: T.INT32, rules: positive },
      ],
    });
    const [plain, ruled] = desc.fields;
    expect(fieldCheck(plain!)).toBeUndefined();
    expect(fieldCheck(plain!)).toBeUndefined();
    expect(fieldCheck(ruled!)).toBeDefined();
    expect(fieldCheck(ruled!)).toBe(fieldCheck(ruled!));
  });
});
