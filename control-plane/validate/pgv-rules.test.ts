// The PGV rule compiler on numbers, enums, durations, timestamps, bytes and Any, through probe
// messages whose single field carries the rule under test (testdata/synthetic.ts).
import { create } from '@bufbuild/protobuf';
import { anyPack, DurationSchema, TimestampSchema } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { check1, messages, type Rules } from './testdata/check.js';
import { T } from './testdata/synthetic.js';

const int32 = (value: Record<string, unknown>): Rules => ({ type: { case: 'int32', value } });
const i32 = (rules: Record<string, unknown>, v: number | undefined) =>
  messages(check1(T.INT32, int32(rules), v));

describe('numeric bounds', () => {
  it('checks each single bound at its edge', () => {
    expect([i32({ gt: 5 }, 5), i32({ gt: 5 }, 6)]).toEqual([['must be > 5'], []]);
    expect([i32({ gte: 5 }, 4), i32({ gte: 5 }, 5)]).toEqual([['must be >= 5'], []]);
    expect([i32({ lt: 10 }, 10), i32({ lt: 10 }, 9)]).toEqual([['must be < 10'], []]);
    expect([i32({ lte: 10 }, 11), i32({ lte: 10 }, 10)]).toEqual([['must be <= 10'], []]);
  });

  it('checks a range given inside-out: both bounds must hold', () => {
    const r = { gt: 5, lt: 10 };
    expect([i32(r, 5), i32(r, 6), i32(r, 9), i32(r, 10)]).toEqual([
      ['must be > 5 and < 10'],
      [],
      [],
      ['must be > 5 and < 10'],
    ]);
    const closed = { gte: 5, lte: 10 };
    expect([i32(closed, 4), i32(closed, 5), i32(closed, 10), i32(closed, 11)]).toEqual([
      ['must be >= 5 and <= 10'],
      [],
      [],
      ['must be >= 5 and <= 10'],
    ]);
    // Equal bounds are a range of one value, not "outside".
    const one = { gte: 5, lte: 5 };
    expect([i32(one, 4), i32(one, 5), i32(one, 6)]).toEqual([
      ['must be >= 5 and <= 5'],
      [],
      ['must be >= 5 and <= 5'],
    ]);
  });

  it('checks an upper bound below the lower as "outside the range"', () => {
    const r = { gt: 10, lt: 5 };
    expect([i32(r, 4), i32(r, 5), i32(r, 7), i32(r, 10), i32(r, 11)]).toEqual([
      [],
      ['must be > 10 or < 5'],
      ['must be > 10 or < 5'],
      ['must be > 10 or < 5'],
      [],
    ]);
    const closed = { gte: 10, lte: 5 };
    expect([i32(closed, 5), i32(closed, 6), i32(closed, 9), i32(closed, 10)]).toEqual([
      [],
      ['must be >= 10 or <= 5'],
      ['must be >= 10 or <= 5'],
      [],
    ]);
  });

  it('checks const, in and not_in, and ignores empty lists', () => {
    expect([i32({ const: 3 }, 4), i32({ const: 3 }, 3)]).toEqual([['must equal 3'], []]);
    expect([i32({ in: [1, 2] }, 3), i32({ in: [1, 2] }, 2), i32({ in: [1, 2] }, 1)]).toEqual([
      ['must be one of 1, 2'],
      [],
      [],
    ]);
    expect([i32({ notIn: [1, 2] }, 2), i32({ notIn: [1, 2] }, 3)]).toEqual([['must not be one of 1, 2'], []]);
    expect([i32({ in: [] }, 7), i32({ notIn: [] }, 7)]).toEqual([[], []]);
  });

  it('checks a proto3 scalar without presence at its zero value, an optional one only when set', () => {
    expect(i32({ gt: 5 }, undefined)).toEqual(['must be > 5']);
    expect(messages(check1(T.INT32, int32({ gt: 5 }), undefined, { optional: true }))).toEqual([]);
    expect(messages(check1(T.INT32, int32({ gt: 5 }), 0, { optional: true }))).toEqual(['must be > 5']);
  });

  it('compares 64-bit values as bigints and shows them as digits', () => {
    const r: Rules = { type: { case: 'int64', value: { gt: 5n, notIn: [9n] } } };
    expect(messages(check1(T.INT64, r, 5n))).toEqual(['must be > 5']);
    expect(messages(check1(T.INT64, r, 6n))).toEqual([]);
    expect(messages(check1(T.INT64, r, 9n))).toEqual(['must not be one of 9']);
    const u: Rules = {
      type: { case: 'uint64', value: { lte: 18446744073709551615n, gte: 18446744073709551610n } },
    };
    expect(messages(check1(T.UINT64, u, 18446744073709551609n))).toEqual([
      'must be >= 18446744073709551610 and <= 18446744073709551615',
    ]);
    expect(messages(check1(T.UINT64, u, 18446744073709551615n))).toEqual([]);
  });

  it('compares a number with a bigint bound (and back) on their integer parts', () => {
    // An annotation of another width than its field: the fractional part is cut, not rounded.
    const bigBound: Rules = { type: { case: 'int64', value: { gt: 5n } } };
    expect(messages(check1(T.DOUBLE, bigBound, 5.9))).toEqual(['must be > 5']);
    expect(messages(check1(T.DOUBLE, bigBound, 6.1))).toEqual([]);
    const numBound: Rules = { type: { case: 'double', value: { lt: 5.9 } } };
    expect(messages(check1(T.INT64, numBound, 5n))).toEqual(['must be < 5.9']);
    expect(messages(check1(T.INT64, numBound, 4n))).toEqual([]);
  });

  it('checks doubles with their fraction and bools as 0 and 1', () => {
    const d: Rules = { type: { case: 'double', value: { gt: 0.5 } } };
    expect([messages(check1(T.DOUBLE, d, 0.5)), messages(check1(T.DOUBLE, d, 0.75))]).toEqual([
      ['must be > 0.5'],
      [],
    ]);
    const b: Rules = { type: { case: 'bool', value: { const: true } } };
    expect([messages(check1(T.BOOL, b, false)), messages(check1(T.BOOL, b, true))]).toEqual([
      ['must equal true'],
      [],
    ]);
  });
});

describe('enums', () => {
  const color = { typeName: '.probe.Color' };
  const e = (value: Record<string, unknown>, v: number) =>
    messages(check1(T.ENUM, { type: { case: 'enum', value } }, v, color));
  it('refuses numbers the enum does not define when defined_only is set', () => {
    expect([e({ definedOnly: true }, 7), e({ definedOnly: true }, 2), e({ definedOnly: false }, 7)]).toEqual([
      ['7 is not a defined Color value'],
      [],
      [],
    ]);
  });
  it('checks const, in and not_in on the number', () => {
    expect([e({ const: 1 }, 2), e({ const: 1 }, 1)]).toEqual([['must equal 1'], []]);
    expect([e({ in: [1, 2] }, 0), e({ notIn: [0] }, 0), e({ notIn: [0] }, 1)]).toEqual([
      ['must be one of 1, 2'],
      ['must not be one of 0'],
      [],
    ]);
  });
});

const duration = { typeName: '.google.protobuf.Duration' };
const dur = (seconds: number, nanos = 0) => create(DurationSchema, { seconds: BigInt(seconds), nanos });

describe('durations', () => {
  const d = (value: Record<string, unknown>, v: unknown) =>
    messages(check1(T.MESSAGE, { type: { case: 'duration', value } }, v, duration));
  it('compares seconds and nanos together and shows bounds in seconds', () => {
    const r = { gt: dur(1, 500_000_000) };
    expect([
      d(r, dur(1, 500_000_000)),
      d(r, dur(1, 400_000_000)),
      d(r, dur(1, 600_000_000)),
      d(r, dur(2)),
    ]).toEqual([['must be > 1.5s'], ['must be > 1.5s'], [], []]);
    expect([d({ lte: dur(0) }, dur(0, 1)), d({ lte: dur(0) }, dur(0))]).toEqual([['must be <= 0s'], []]);
    expect([d({ in: [dur(1), dur(2)] }, dur(3)), d({ const: dur(2) }, dur(3))]).toEqual([
      ['must be one of 1s, 2s'],
      ['must equal 2s'],
    ]);
  });
  it('checks an unset duration only for required', () => {
    expect(d({ gt: dur(0) }, undefined)).toEqual([]);
    expect(d({ gt: dur(0), required: true }, undefined)).toEqual(['is required']);
    expect(d({ required: true }, dur(0))).toEqual([]);
  });
});

describe('timestamps', () => {
  const ts = { typeName: '.google.protobuf.Timestamp' };
  const at = (seconds: number, nanos = 0) => create(TimestampSchema, { seconds: BigInt(seconds), nanos });
  const t = (value: Record<string, unknown>, v: unknown) =>
    messages(check1(T.MESSAGE, { type: { case: 'timestamp', value } }, v, ts));
  it('compares instants and shows bounds as UTC times', () => {
    const r = { gte: at(1_700_000_000, 500_000_000) };
    expect([t(r, at(1_700_000_000)), t(r, at(1_700_000_000, 500_000_000))]).toEqual([
      ['must be >= 2023-11-14T22:13:20.500Z'],
      [],
    ]);
  });
  it('checks an unset timestamp only for required', () => {
    expect(t({ required: true }, undefined)).toEqual(['is required']);
    expect(t({ gt: at(0) }, undefined)).toEqual([]);
  });
});

describe('bytes', () => {
  const b = (value: Record<string, unknown>, n: number) =>
    messages(check1(T.BYTES, { type: { case: 'bytes', value } }, new Uint8Array(n)));
  it('checks exact, minimum and maximum lengths at their edges', () => {
    expect([b({ len: 3n }, 2), b({ len: 3n }, 3), b({ len: 3n }, 4)]).toEqual([
      ['must be exactly 3 byte(s)'],
      [],
      ['must be exactly 3 byte(s)'],
    ]);
    expect([b({ minLen: 2n }, 1), b({ minLen: 2n }, 2)]).toEqual([['must be at least 2 byte(s)'], []]);
    // No ignore_empty for bytes: empty bytes are checked like any others.
    expect(b({ minLen: 2n }, 0)).toEqual(['must be at least 2 byte(s)']);
    expect([b({ maxLen: 2n }, 3), b({ maxLen: 2n }, 2)]).toEqual([['must be at most 2 byte(s)'], []]);
  });
});

describe('Any', () => {
  const anyField = { typeName: '.google.protobuf.Any' };
  const DUR = 'type.googleapis.com/google.protobuf.Duration';
  const a = (value: Record<string, unknown>, v: unknown) =>
    messages(check1(T.MESSAGE, { type: { case: 'any', value } }, v, anyField));
  const packedTs = anyPack(TimestampSchema, create(TimestampSchema));
  const packedDur = anyPack(DurationSchema, dur(1));
  it('checks the type URL against in and not_in', () => {
    expect([a({ in: [DUR] }, packedTs), a({ in: [DUR] }, packedDur)]).toEqual([
      ['type type.googleapis.com/google.protobuf.Timestamp is not allowed here'],
      [],
    ]);
    expect([a({ notIn: [DUR] }, packedDur), a({ notIn: [DUR] }, packedTs)]).toEqual([
      [`type ${DUR} is not allowed here`],
      [],
    ]);
    expect([a({ in: [] }, packedTs), a({ notIn: [] }, packedTs)]).toEqual([[], []]);
  });
  it('checks an unset Any only for required', () => {
    expect([a({ required: true }, undefined), a({ in: [DUR] }, undefined)]).toEqual([['is required'], []]);
  });
  it('takes message.required on any message field', () => {
    expect(messages(check1(T.MESSAGE, { message: { required: true } }, undefined, duration))).toEqual([
      'is required',
    ]);
    expect(messages(check1(T.MESSAGE, { message: { required: false } }, undefined, duration))).toEqual([]);
  });
});
