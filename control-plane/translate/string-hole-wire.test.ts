// The string-hole template (string-hole.ts) over a message type built for it: every wire type
// beside the path, multi-byte tags and lengths in the template itself, fields before and after
// the hole at each level; and the errors for a marker that is not a whole string field.
import { create, createFileRegistry, type DescMessage, toBinary } from '@bufbuild/protobuf';
import {
  FieldDescriptorProto_Label,
  FileDescriptorProtoSchema,
  FieldDescriptorProto_Type as T,
} from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { StringHoleError, stringHole } from './string-hole.js';

const field = (name: string, number: number, type: T, typeName?: string) => ({
  name,
  number,
  type,
  label: FieldDescriptorProto_Label.OPTIONAL,
  jsonName: name,
  ...(typeName ? { typeName } : {}),
});

// Field numbers from 2048 up take three bytes of tag; the declaration order is the wire order.
const registry = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: 'hole.proto',
    package: 'hole',
    syntax: 'proto3',
    messageType: [
      {
        name: 'Inner',
        field: [
          field('pad', 1, T.STRING),
          field('f32', 2, T.FIXED32),
          field('name', 2100, T.STRING),
          field('f64', 3, T.FIXED64),
          field('count', 4, T.UINT64),
        ],
      },
      {
        name: 'Probe',
        field: [
          field('f64', 1, T.FIXED64),
          field('f32', 2, T.FIXED32),
          field('big', 3, T.UINT64),
          field('pad', 4, T.STRING),
          field('skipped', 5, T.MESSAGE, '.hole.Inner'),
          field('inner', 20, T.MESSAGE, '.hole.Inner'),
          field('tail', 5000, T.STRING),
        ],
      },
    ],
  }),
  () => undefined,
);
const Probe = registry.getMessage('hole.Probe')! as DescMessage;

/** The probe with `name` in the hole; siblings of every wire type, long enough for 2- and 3-byte lengths. */
const probe = (name: string) =>
  create(Probe, {
    f64: 0x1234_5678_9abcn,
    f32: 0xdead_beef,
    big: 2n ** 40n,
    pad: 'p'.repeat(20_000),
    skipped: { pad: 's'.repeat(300), name: 'not the hole', f32: 7 },
    inner: { pad: 'q'.repeat(200), f32: 1, name, f64: 2n, count: 300n },
    tail: 't'.repeat(150),
  } as never);

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('stringHole over every wire type', () => {
  it('fills as toBinary encodes, for lengths across varint boundaries and non-ASCII text', () => {
    let builds = 0;
    const fill = stringHole(Probe, (s) => {
      builds++;
      return probe(s);
    });
    for (const n of [1, 13, 127, 128, 16_383, 16_384])
      expect(hex(fill('n'.repeat(n))), `${n} characters`).toBe(hex(toBinary(Probe, probe('n'.repeat(n)))));
    expect(hex(fill('é-模型'))).toBe(hex(toBinary(Probe, probe('é-模型'))));
    // The point of the template: one message built for it, none per fill.
    expect(builds).toBe(1);
  });

  const refusal = (build: (s: string) => ReturnType<typeof probe>) => {
    try {
      stringHole(Probe, build);
    } catch (err) {
      return err;
    }
    return undefined;
  };

  it('refuses a marker inside a longer string, named by what it met', () => {
    // After the marker's first bytes, parsed as fields, comes a group's wire type.
    const prefix = refusal((s) => probe(`${s}x`));
    expect(prefix).toBeInstanceOf(StringHoleError);
    expect(prefix).toMatchObject({
      name: 'StringHoleError',
      code: 'SY_STRING_HOLE',
      message: 'wire type 4 on the path to the hole',
    });
    // A fixed32 and a fixed64 skip the whole marker: the string parses as a message without it.
    const inside = refusal((s) => probe(`\r${s}`));
    expect(inside).toMatchObject({
      code: 'SY_STRING_HOLE',
      message: 'the marker is not a whole string field',
    });
  });

  it('refuses, rather than reads past, a string that holds the marker and ends the template', () => {
    const whole = 'the marker is not a whole string field';
    const last = (tail: string) => create(Probe, { tail } as never) as ReturnType<typeof probe>;
    expect(refusal((s) => last(`\r${s}`))).toMatchObject({ message: whole });
    // What follows the marker parses as a field; it is not the hole, so it is not looked into.
    expect(refusal((s) => last(`\r${s}\n\u0001\u0003`))).toMatchObject({ message: whole });
    // A varint tag with its value cut off by the end of the template.
    expect(refusal((s) => last(`\r${s}\b`))).toMatchObject({
      code: 'SY_STRING_HOLE',
      message: 'a varint runs past the end of the template',
    });
  });

  it('refuses a template without the marker, or with it twice', () => {
    expect(refusal(() => probe('x'))).toMatchObject({
      code: 'SY_STRING_HOLE',
      message: 'the template must hold the marker exactly once',
    });
    expect(
      refusal((s) => create(Probe, { inner: { name: s }, skipped: { name: s } } as never) as never),
    ).toMatchObject({ message: 'the template must hold the marker exactly once' });
  });
});
