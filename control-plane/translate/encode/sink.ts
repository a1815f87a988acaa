// The byte writer of the memo encoder: protobuf-es's BinaryWriter's output for the wire types
// it handles, into one buffer kept between messages (a fresh BinaryWriter starts empty and grows
// by doubling for every message, which was a sixth of encoding a route). Length-delimited
// payloads reserve one byte for their length and move the payload when it needs more, as
// BinaryWriter does. What it does not handle (64-bit and fixed-width numbers, a non-string
// where a string belongs, an out-of-range integer) throws NotHandled: the caller then leaves
// the whole message to toBinary, which writes it or raises its own error.

import { allocate } from './slab.js';

/** Thrown for a value the sink leaves to toBinary; never escapes the memo encoder. */
export class NotHandled extends Error {}

const utf8 = new TextEncoder();

export class Sink {
  private buf = new Uint8Array(4096);
  private pos = 0;
  private readonly forks: number[] = [];

  reset(): void {
    this.pos = 0;
    this.forks.length = 0;
  }

  /** A copy of what was written since reset (small ones carved from a shared slab: slab.ts). */
  finish(): Uint8Array {
    const out = allocate(this.pos);
    out.set(this.buf.subarray(0, this.pos));
    return out;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let len = this.buf.length * 2;
    while (len < this.pos + n) len *= 2;
    const next = new Uint8Array(len);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  // The loops keep the buffer and position in locals rather than reading and writing both
  // through `this` for every byte.
  private varint(v: number): void {
    this.room(5);
    const buf = this.buf;
    let pos = this.pos;
    while (v > 0x7f) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[pos++] = v;
    this.pos = pos;
  }

  tag(no: number, wireType: number): this {
    this.varint(((no << 3) | wireType) >>> 0);
    return this;
  }

  uint32(v: number): this {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new NotHandled();
    this.varint(v);
    return this;
  }

  int32(v: number): this {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x8000_0000 || v > 0x7fff_ffff)
      throw new NotHandled();
    if (v >= 0) {
      this.varint(v);
      return this;
    }
    // Negative: sign-extended to 64 bits, ten bytes.
    this.room(10);
    for (let i = 0; i < 9; i++) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>= 7;
    }
    this.buf[this.pos++] = 1;
    return this;
  }

  bool(v: boolean): this {
    this.room(1);
    this.buf[this.pos++] = v ? 1 : 0;
    return this;
  }

  string(v: string): this {
    if (typeof v !== 'string') throw new NotHandled();
    const n = v.length;
    if (n < 0x80) {
      // ASCII in one pass; the first other character sends the string through TextEncoder.
      this.room(n + 1);
      const buf = this.buf;
      const start = this.pos;
      let pos = start;
      buf[pos++] = n;
      let i = 0;
      for (; i < n; i++) {
        const c = v.charCodeAt(i);
        if (c >= 0x80) break;
        buf[pos++] = c;
      }
      if (i === n) {
        this.pos = pos;
        return this;
      }
    }
    return this.bytes(utf8.encode(v));
  }

  bytes(v: Uint8Array): this {
    this.varint(v.byteLength);
    return this.raw(v);
  }

  raw(v: Uint8Array): this {
    this.room(v.byteLength);
    this.buf.set(v, this.pos);
    this.pos += v.byteLength;
    return this;
  }

  fork(): this {
    this.forks.push(this.pos);
    this.room(1);
    this.buf[this.pos++] = 0;
    return this;
  }

  join(): this {
    const at = this.forks.pop()!;
    const len = this.pos - at - 1;
    let size = 1;
    for (let x = len >>> 7; x > 0; x >>>= 7) size++;
    if (size > 1) {
      this.room(size - 1);
      this.buf.copyWithin(at + size, at + 1, this.pos);
    }
    const end = this.pos + size - 1;
    this.pos = at;
    this.varint(len);
    this.pos = end;
    return this;
  }
}
