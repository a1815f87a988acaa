// The sink against protobuf-es's BinaryWriter, call for call: varints at every byte-count
// boundary, negative int32s as ten bytes, tags up to the largest field number, strings that
// are empty, ASCII or not (whose UTF-8 length differs from their length), forked payloads whose
// length crosses a varint boundary, nested, and a buffer grown past its first size. Values the
// sink leaves to toBinary throw NotHandled.
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { describe, expect, it } from 'vitest';
import { NotHandled, Sink } from './sink.js';

/** The same calls on a fresh sink and a BinaryWriter: their bytes must be equal. */
function same(write: (w: Sink | BinaryWriter) => void): Uint8Array {
  const sink = new Sink();
  write(sink);
  const writer = new BinaryWriter();
  write(writer);
  const want = writer.finish();
  expect(sink.finish()).toEqual(want);
  return want;
}

const VARINTS = [
  0,
  1,
  127,
  128,
  16_383,
  16_384,
  2 ** 21 - 1,
  2 ** 21,
  2 ** 28 - 1,
  2 ** 28,
  2 ** 31 - 1,
  2 ** 31,
  0xffff_ffff,
];

describe('sink', () => {
  it('writes uint32 varints as BinaryWriter does, one to five bytes', () => {
    for (const v of VARINTS) same((w) => w.uint32(v));
    expect(same((w) => w.uint32(127))).toEqual(new Uint8Array([0x7f]));
    expect(same((w) => w.uint32(128))).toEqual(new Uint8Array([0x80, 0x01]));
    expect(same((w) => w.uint32(16_384))).toEqual(new Uint8Array([0x80, 0x80, 0x01]));
    expect(same((w) => w.uint32(0xffff_ffff))).toHaveLength(5);
  });

  it('writes int32 as BinaryWriter does, a negative one in ten bytes', () => {
    for (const v of [...VARINTS.filter((x) => x < 2 ** 31), -1, -2, -127, -128, -129, -16_384, -(2 ** 31)])
      same((w) => w.int32(v));
    expect(same((w) => w.int32(-1))).toEqual(new Uint8Array([...Array(9).fill(0xff), 0x01]));
    expect(same((w) => w.int32(-(2 ** 31)))).toEqual(
      new Uint8Array([0x80, 0x80, 0x80, 0x80, 0xf8, 0xff, 0xff, 0xff, 0xff, 0x01]),
    );
    // A negative int32 after other bytes, the buffer being near its end.
    same((w) => {
      w.raw(new Uint8Array(4090));
      w.int32(-5);
      w.int32(-6);
    });
  });

  it('leaves out-of-range and non-integer numbers to toBinary', () => {
    const sink = new Sink();
    for (const v of [-1, 2 ** 32, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '1', 1n])
      expect(() => sink.uint32(v as number)).toThrow(NotHandled);
    for (const v of [2 ** 31, -(2 ** 31) - 1, -1.5, Number.NaN, '1', 1n])
      expect(() => sink.int32(v as number)).toThrow(NotHandled);
    expect(() => sink.string(7 as unknown as string)).toThrow(NotHandled);
    // Nothing was written by the refused calls.
    expect(sink.finish()).toHaveLength(0);
    expect(
      sink
        .uint32(0xffff_ffff)
        .int32(-(2 ** 31))
        .int32(2 ** 31 - 1)
        .finish(),
    ).toHaveLength(20);
  });

  it('writes tags as BinaryWriter does, up to the largest field number', () => {
    for (const no of [1, 15, 16, 2047, 2048, 2 ** 28 - 1, 2 ** 29 - 1])
      for (const wt of [WireType.Varint, WireType.LengthDelimited, WireType.Bit32])
        same((w) => w.tag(no, wt));
    expect(same((w) => w.tag(2 ** 29 - 1, WireType.Bit32))).toEqual(
      new Uint8Array([0xfd, 0xff, 0xff, 0xff, 0x0f]),
    );
  });

  it('writes booleans as one byte', () => {
    expect(same((w) => w.bool(true).bool(false))).toEqual(new Uint8Array([1, 0]));
  });

  it('writes strings as BinaryWriter does, ASCII or not, their UTF-8 length as the prefix', () => {
    const texts = [
      '',
      'a',
      'x'.repeat(127),
      'x'.repeat(128),
      'x'.repeat(16_384),
      'ü',
      'aü',
      'üa',
      `${'x'.repeat(126)}ü`,
      `${'x'.repeat(62)}${'ü'.repeat(33)}`,
      'ü'.repeat(64),
      '模型',
      '\ud83d\ude80',
      'lone\ud800',
      '\u007f\u0080',
    ];
    for (const t of texts) same((w) => w.string(t));
    expect(same((w) => w.string('ü'))).toEqual(new Uint8Array([2, 0xc3, 0xbc]));
    // Written after other bytes, a non-ASCII string is not preceded by the ASCII attempt.
    same((w) => w.string('ab').string('aü').string('a'));
  });

  it('writes bytes and raw chunks as BinaryWriter does', () => {
    const big = new Uint8Array(300).map((_, i) => i % 251);
    same((w) =>
      w
        .bytes(new Uint8Array())
        .bytes(new Uint8Array([1, 2, 3]))
        .bytes(big),
    );
    same((w) => w.raw(big).raw(new Uint8Array([9])));
  });

  it('prefixes a forked payload with its length as BinaryWriter does', () => {
    for (const n of [0, 1, 127, 128, 129, 16_383, 16_384])
      same((w) => {
        w.uint32(7).fork().raw(new Uint8Array(n).fill(5)).join().uint32(8);
      });
    // Nested forks, the inner one's length prefix growing the outer one.
    same((w) => {
      w.fork().uint32(1).fork().raw(new Uint8Array(200).fill(3)).join().fork().string('in').join().join();
      w.fork().join();
    });
  });

  it('grows its buffer past the first size, however large a write', () => {
    for (const n of [4095, 4096, 4097, 9000, 40_000])
      same((w) => {
        w.uint32(300);
        w.raw(new Uint8Array(n).fill(1));
        w.uint32(300);
      });
    same((w) => {
      for (let i = 0; i < 3000; i++) w.uint32(16_384 + i);
    });
    // An ASCII string needs its length plus one byte: ending one to two bytes past the buffer.
    for (const pad of [4084, 4085, 4086, 4087])
      same((w) => {
        w.raw(new Uint8Array(pad));
        w.string('abcdefghij');
      });
  });

  it('starts over on reset and hands out copies', () => {
    const sink = new Sink();
    sink.fork().string('left open');
    sink.reset();
    const first = sink.string('one').finish();
    expect(first).toEqual(new BinaryWriter().string('one').finish());
    sink.reset();
    sink.fork().raw(new Uint8Array(130)).join();
    const second = sink.finish();
    expect(second).toEqual(new BinaryWriter().fork().raw(new Uint8Array(130)).join().finish());
    expect(first).toEqual(new BinaryWriter().string('one').finish());
  });
});
