// The encoding of a message that differs per model in one string, written without building and
// encoding the message each time. Protobuf's encoding of a sub-message does not depend on where
// it sits, and a length-delimited field is tag + varint length + bytes; so the encoding of a
// template message built once with a marker in place of the string is, level by level from the
// top: the bytes before the field holding the marker, its tag, a length, the nested encoding,
// the bytes after it. A fill writes those parts around the real string with the lengths
// recomputed: byte-identical to toBinary of the message built with that string (string-hole.test.ts
// holds it to toBinary across varint length boundaries and for non-ASCII text).
import { type DescMessage, type MessageShape, toBinary } from '@bufbuild/protobuf';
import { varintLength, writeVarint } from '../../kernel/wire/varint.js';
import { allocate } from './encode/slab.js';

/** The marker a template carries where the string goes: no real value contains NULs. */
const MARKER = '\u0000string-hole\u0000';
const utf8 = new TextEncoder();

/** One nesting level: the bytes before the field on the path, its tag, the bytes after it. */
interface Level {
  readonly before: Uint8Array;
  readonly tag: Uint8Array;
  readonly after: Uint8Array;
}

export class StringHoleError extends Error {
  readonly code = 'SY_STRING_HOLE';
  constructor(message: string) {
    super(message);
    this.name = 'StringHoleError';
  }
}

function readVarint(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    // A marker inside a longer string is parsed as fields, and its last one may be cut off: an
    // error, where reading on past the end would loop for ever.
    const b = bytes[at++];
    if (b === undefined) throw new StringHoleError('a varint runs past the end of the template');
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [value, at];
    shift += 7;
  }
}

function indexOf(bytes: Uint8Array, part: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= bytes.length - part.length; i++) {
    for (let j = 0; j < part.length; j++) if (bytes[i + j] !== part[j]) continue outer;
    return i;
  }
  return -1;
}

/** The levels from the top down to the string field whose bytes are [hole, hole + size). */
function levelsTo(bytes: Uint8Array, hole: number, size: number): Level[] {
  const levels: Level[] = [];
  let start = 0;
  let end = bytes.length;
  for (let at = start; at < end; ) {
    const tagStart = at;
    const [tag, afterTag] = readVarint(bytes, at);
    at = afterTag;
    switch (tag & 7) {
      case 0:
        at = readVarint(bytes, at)[1];
        continue;
      case 1:
        at += 8;
        continue;
      case 5:
        at += 4;
        continue;
      case 2:
        break;
      default:
        throw new StringHoleError(`wire type ${tag & 7} on the path to the hole`);
    }
    const [len, contentStart] = readVarint(bytes, at);
    const contentEnd = contentStart + len;
    at = contentEnd;
    if (hole < contentStart || hole + size > contentEnd) continue;
    levels.push({
      before: bytes.slice(start, tagStart),
      tag: bytes.slice(tagStart, afterTag),
      after: bytes.slice(contentEnd, end),
    });
    if (contentStart === hole && contentEnd === hole + size) return levels;
    start = contentStart;
    end = contentEnd;
    at = contentStart;
  }
  throw new StringHoleError('the marker is not a whole string field');
}

/** Writes the encoding of the template's message with `value` in the hole. */
export type StringHoleFill = (value: string) => Uint8Array;

/**
 * `build(s)` must give the message with `s` in one string field (and nowhere else); the fill
 * then equals `toBinary(schema, build(value))` for every non-empty `value`. An empty string is
 * not encoded at all under proto3, so it goes through toBinary.
 */
export function stringHole<D extends DescMessage>(
  schema: D,
  build: (value: string) => MessageShape<D>,
): StringHoleFill {
  const bytes = toBinary(schema, build(MARKER));
  const marker = utf8.encode(MARKER);
  const hole = indexOf(bytes, marker);
  if (hole < 0 || indexOf(bytes, marker, hole + 1) >= 0)
    throw new StringHoleError('the template must hold the marker exactly once');
  const levels = levelsTo(bytes, hole, marker.length);
  const fixed = levels.map((l) => l.before.length + l.tag.length + l.after.length);
  const sizes = new Int32Array(levels.length);
  return (value) => {
    if (value === '') return toBinary(schema, build(value));
    // ASCII (every SAN in practice) is written as it is; anything else through TextEncoder.
    let ascii = true;
    for (let i = 0; i < value.length && ascii; i++) ascii = value.charCodeAt(i) < 0x80;
    const text = ascii ? undefined : utf8.encode(value);
    const textLength = text ? text.length : value.length;
    // Sizes from the inside out: each level's content is the level below, framed.
    let size = textLength;
    for (let i = levels.length - 1; i >= 0; i--) {
      sizes[i] = size;
      size += fixed[i]! + varintLength(size);
    }
    const out = allocate(size);
    let at = 0;
    for (let i = 0; i < levels.length; i++) {
      const l = levels[i]!;
      at = copy(out, at, l.before);
      at = copy(out, at, l.tag);
      at = writeVarint(out, at, sizes[i]!);
    }
    if (text) at = copy(out, at, text);
    else for (let i = 0; i < textLength; i++) out[at++] = value.charCodeAt(i);
    for (let i = levels.length - 1; i >= 0; i--) at = copy(out, at, levels[i]!.after);
    return out;
  };
}

/** `part` written at `at`, byte by byte: the parts are short, and `set` is a call per part. */
function copy(out: Uint8Array, at: number, part: Uint8Array): number {
  for (let i = 0; i < part.length; i++) out[at++] = part[i]!;
  return at;
}
