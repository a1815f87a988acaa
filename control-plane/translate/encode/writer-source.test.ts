// The generated writers on a message with a field of every kind (a descriptor built here, not
// one of Envoy's): each field set alone and all together, zero and non-zero, written as toBinary
// writes them, walked where the writer handles the field (no fallback) and left to toBinary
// where it does not (one fallback, the same bytes).
import { create, createFileRegistry, type Message, toBinary } from '@bufbuild/protobuf';
import {
  FileDescriptorProtoSchema,
  file_google_protobuf_struct,
  file_google_protobuf_wrappers,
  FieldDescriptorProto_Label as L,
  FieldDescriptorProto_Type as T,
} from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { MemoEncoder } from './memo-encoder.js';

const f = (name: string, number: number, type: T, extra: object = {}) => ({
  name,
  number,
  type,
  label: L.OPTIONAL,
  jsonName: name,
  ...extra,
});
const rep = { label: L.REPEATED };
const entry = (name: string, key: T, value: T, typeName?: string) => ({
  name,
  field: [f('key', 1, key), f('value', 2, value, typeName ? { typeName } : {})],
  options: { mapEntry: true },
});

const registry = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: 'enc/all.proto',
    package: 'enc',
    syntax: 'proto3',
    dependency: ['google/protobuf/wrappers.proto', 'google/protobuf/struct.proto'],
    enumType: [
      {
        name: 'Color',
        value: [
          { name: 'ZERO', number: 0 },
          { name: 'ONE', number: 1 },
        ],
      },
    ],
    messageType: [
      { name: 'Child', field: [f('name', 1, T.STRING)] },
      {
        name: 'All',
        field: [
          f('s', 1, T.STRING),
          f('b', 2, T.BOOL),
          f('i', 3, T.INT32),
          f('u', 4, T.UINT32),
          f('by', 5, T.BYTES),
          f('e', 6, T.ENUM, { typeName: '.enc.Color' }),
          f('l', 7, T.INT64),
          f('d', 8, T.DOUBLE),
          f('ri', 9, T.INT32, rep),
          f('rs', 10, T.STRING, rep),
          f('rm', 11, T.MESSAGE, { ...rep, typeName: '.enc.Child' }),
          f('ms', 12, T.MESSAGE, { ...rep, typeName: '.enc.All.MsEntry' }),
          f('mm', 13, T.MESSAGE, { ...rep, typeName: '.enc.All.MmEntry' }),
          f('mi', 14, T.MESSAGE, { ...rep, typeName: '.enc.All.MiEntry' }),
          f('os', 15, T.STRING, { oneofIndex: 0 }),
          f('oc', 16, T.MESSAGE, { oneofIndex: 0, typeName: '.enc.Child' }),
          f('opt', 17, T.INT32, { oneofIndex: 1, proto3Optional: true }),
          f('w', 18, T.MESSAGE, { typeName: '.google.protobuf.UInt32Value' }),
          f('st', 19, T.MESSAGE, { typeName: '.google.protobuf.Struct' }),
          f('child', 20, T.MESSAGE, { typeName: '.enc.Child' }),
          f('re', 21, T.ENUM, { ...rep, typeName: '.enc.Color' }),
          f('f', 22, T.FLOAT),
          f('rl', 23, T.INT64, rep),
          f('sw', 24, T.MESSAGE, { typeName: '.google.protobuf.StringValue' }),
          f('rb', 25, T.BYTES, rep),
          f('me', 26, T.MESSAGE, { ...rep, typeName: '.enc.All.MeEntry' }),
          f('ru', 27, T.UINT32, { ...rep, options: { packed: false } }),
          f('bw', 28, T.MESSAGE, { typeName: '.google.protobuf.BoolValue' }),
          f('bv', 29, T.MESSAGE, { typeName: '.google.protobuf.BytesValue' }),
          f('sx', 30, T.SINT32),
          f('self', 31, T.MESSAGE, { typeName: '.enc.All' }),
        ],
        oneofDecl: [{ name: 'choice' }, { name: '_opt' }],
        nestedType: [
          entry('MsEntry', T.STRING, T.STRING),
          entry('MmEntry', T.STRING, T.MESSAGE, '.enc.Child'),
          entry('MiEntry', T.INT32, T.STRING),
          entry('MeEntry', T.STRING, T.ENUM, '.enc.Color'),
        ],
      },
    ],
  }),
  (name) =>
    ({
      'google/protobuf/wrappers.proto': file_google_protobuf_wrappers,
      'google/protobuf/struct.proto': file_google_protobuf_struct,
    })[name],
);
const All = registry.getMessage('enc.All')!;
const Child = registry.getMessage('enc.Child')!;

const child = (name: string) => create(Child, { name });

/** Each field set alone: handled (walked, no fallback) or not (left to toBinary). */
const HANDLED: Record<string, unknown[]> = {
  s: ['', 'a', 'ü'.repeat(70), 'x'.repeat(200)],
  b: [false, true],
  i: [0, 1, 127, 128, -1, -(2 ** 31)],
  u: [0, 1, 16_384, 0xffff_ffff],
  by: [new Uint8Array(), new Uint8Array([0, 1, 2])],
  e: [0, 1, 7],
  ri: [[], [0], [1, -1, 300]],
  rs: [[], [''], ['a', 'ü']],
  rm: [[], [child('')], [child('a'), child('b')]],
  ms: [{}, { '': '' }, { a: 'x', ü: 'y' }],
  mm: [{}, { a: child('') }, { a: child('x'), b: child('y') }],
  mi: [{}],
  w: [0, 1, 300],
  st: [undefined],
  child: [child(''), child('c')],
  re: [[], [0, 1]],
  rl: [[]],
  sw: ['', 'v'],
  rb: [[], [new Uint8Array()], [new Uint8Array([5])]],
  me: [{}, { a: 0, b: 1 }],
  ru: [[], [0, 128]],
  bw: [false, true],
  bv: [new Uint8Array(), new Uint8Array([1])],
};
const UNHANDLED: Record<string, unknown[]> = {
  l: [1n, -1n],
  d: [0.5, -0],
  f: [1.5],
  mi: [{ 1: 'x' }],
  st: [{ a: 1 }],
  rl: [[1n]],
  sx: [-3, 3],
};

function check(enc: MemoEncoder, msg: Message, handled: boolean): void {
  const before = enc.fallbacks;
  expect(enc.encode(All, msg)).toEqual(toBinary(All, msg));
  expect(
    enc.fallbacks - before,
    JSON.stringify(msg, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)),
  ).toBe(handled ? 0 : 1);
}

describe.each([
  ['with its children walked', new Set(['enc.All', 'enc.Child'])],
  ['with its children memoized', new Set(['enc.All'])],
])('generated writer, %s', (_, walked) => {
  const enc = new MemoEncoder(walked);

  it('writes each handled field alone as toBinary does, without a fallback', () => {
    check(enc, create(All), true);
    for (const [name, values] of Object.entries(HANDLED))
      for (const value of values) check(enc, create(All, { [name]: value }), true);
  });

  it('leaves each unhandled field, when set, to toBinary', () => {
    for (const [name, values] of Object.entries(UNHANDLED))
      for (const value of values) check(enc, create(All, { [name]: value }), false);
    // Zero values of unhandled scalars are not written at all, so nothing is left to toBinary.
    check(enc, create(All, { l: 0n, d: 0, f: 0, sx: 0 }), true);
  });

  it('writes a oneof, an explicit-presence field and a nested message of its own type', () => {
    for (const choice of [
      { case: 'os', value: '' },
      { case: 'os', value: 'x' },
      { case: 'oc', value: child('') },
      { case: 'oc', value: child('y') },
    ])
      check(enc, create(All, { choice } as never), true);
    for (const opt of [0, 5, -5]) check(enc, create(All, { opt }), true);
    check(enc, create(All, { self: create(All, { s: 'inner', self: create(All, { i: 2 }) }) }), true);
  });

  it('writes every handled field together, in field-number order', () => {
    const init: Record<string, unknown> = {};
    for (const [name, values] of Object.entries(HANDLED)) init[name] = values[values.length - 1];
    const msg = create(All, { ...init, choice: { case: 'oc', value: child('z') }, opt: 9 } as never);
    check(enc, msg, true);
    // Unknown fields follow the known ones, as toBinary writes them.
    const withUnknown = { ...msg, $unknown: [{ no: 99, wireType: 0, data: new Uint8Array([5]) }] };
    check(enc, withUnknown as Message, true);
  });

  it('refuses a message of another type, as toBinary does', () => {
    const foreign = { ...create(All, { s: 'x' }), $typeName: 'enc.Child' } as Message;
    expect(() => enc.encode(All, foreign)).toThrow(/cannot use/);
  });
});

// proto2: a group (delimited encoding) and a required field, both left to toBinary; and a
// message type without fields, whose writer has no type check.
const p2 = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: 'enc/p2.proto',
    package: 'enc2',
    syntax: 'proto2',
    messageType: [
      {
        name: 'WithGroup',
        field: [f('g', 1, T.GROUP, { typeName: '.enc2.WithGroup.G' }), f('o', 3, T.INT32)],
        nestedType: [{ name: 'G', field: [f('a', 2, T.INT32)] }],
      },
      { name: 'WithRequired', field: [f('r', 1, T.STRING, { label: L.REQUIRED }), f('o', 2, T.INT32)] },
      { name: 'Nothing' },
    ],
  }),
  () => undefined,
);
const WithGroup = p2.getMessage('enc2.WithGroup')!;
const G = p2.getMessage('enc2.WithGroup.G')!;
const WithRequired = p2.getMessage('enc2.WithRequired')!;
const Nothing = p2.getMessage('enc2.Nothing')!;

describe('generated writer, proto2 and empty types', () => {
  const enc = new MemoEncoder(
    new Set(['enc2.WithGroup', 'enc2.WithGroup.G', 'enc2.WithRequired', 'enc2.Nothing']),
  );

  function same(desc: typeof All, msg: Message, fallbacks: number): void {
    const before = enc.fallbacks;
    expect(enc.encode(desc, msg)).toEqual(toBinary(desc, msg));
    expect(enc.fallbacks - before).toBe(fallbacks);
  }

  it('leaves a set group to toBinary and writes a message without one', () => {
    same(WithGroup, create(WithGroup, { o: 4 }), 0);
    same(WithGroup, create(WithGroup, { g: create(G, { a: 7 }), o: 4 }), 1);
  });

  it('leaves a message with a required field to toBinary, its error included', () => {
    same(WithRequired, create(WithRequired, { r: 'x', o: 2 }), 1);
    const unset = create(WithRequired, { o: 2 });
    expect(() => toBinary(WithRequired, unset)).toThrow();
    expect(() => enc.encode(WithRequired, unset)).toThrow(/required/);
  });

  it('writes a message type without fields, unknown fields included, as toBinary does', () => {
    same(Nothing, create(Nothing), 0);
    expect(enc.encode(Nothing, create(Nothing))).toHaveLength(0);
    const unknown = { ...create(Nothing), $unknown: [{ no: 5, wireType: 0, data: new Uint8Array([1]) }] };
    same(Nothing, unknown as Message, 0);
    // toBinary checks a message's type per field, so a type without fields takes any message.
    same(Nothing, create(WithRequired, { o: 2 }) as unknown as Message, 0);
  });
});

describe('memo encoder, a type not walked', () => {
  it('is left to toBinary alone: no fallback counted, sub-messages read afresh', () => {
    const enc = new MemoEncoder(new Set(['enc.Child']));
    const inner = create(All, { s: 'a' }) as Message & { s: string };
    const msg = create(All, { l: 1n, self: inner });
    expect(enc.encode(All, msg)).toEqual(toBinary(All, msg));
    inner.s = 'b';
    expect(enc.encode(All, msg)).toEqual(toBinary(All, msg));
    expect(enc.fallbacks).toBe(0);
  });
});
