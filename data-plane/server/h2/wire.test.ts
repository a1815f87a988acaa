import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { encodeGrpcMessage, frame, MessageReader, parseTimeout } from './wire.js';

describe('h2 wire', () => {
  it('frames a message: flag 0, big-endian length, bytes', () => {
    expect([...frame(new Uint8Array([7, 8, 9]))]).toEqual([0, 0, 0, 0, 3, 7, 8, 9]);
  });

  it('reads messages split anywhere across chunks, and two in one chunk', () => {
    const a = frame(new Uint8Array([1, 2, 3, 4]));
    const b = frame(new Uint8Array([5]));
    const all = Buffer.concat([a, b, a]);
    for (let cut = 1; cut < all.length; cut++) {
      const r = new MessageReader(100);
      expect(r.push(all.subarray(0, cut))).toBeUndefined();
      expect(r.push(all.subarray(cut))).toBeUndefined();
      expect(r.messages.map((m) => [...m])).toEqual([[1, 2, 3, 4], [5], [1, 2, 3, 4]]);
      expect(r.partial).toBe(0);
    }
  });

  it('joins a large message once, from many small chunks', () => {
    const message = new Uint8Array(1 << 20).map((_, i) => i % 251);
    const wire = frame(message);
    const r = new MessageReader(1 << 21);
    for (let at = 0; at < wire.length; at += 16_384)
      expect(r.push(wire.subarray(at, at + 16_384))).toBeUndefined();
    expect(r.messages).toHaveLength(1);
    expect(Buffer.compare(r.messages[0]!, Buffer.from(message))).toBe(0);
    expect(r.partial).toBe(0);
  });

  it('keeps a message in one chunk as a view of it', () => {
    const chunk = frame(new Uint8Array([1, 2]));
    const r = new MessageReader(100);
    r.push(chunk);
    expect(r.messages[0]!.buffer).toBe(chunk.buffer);
  });

  it('refuses a message over the limit from its header alone, and a compressed one', () => {
    const big = Buffer.from([0, 0, 0, 1, 0]);
    expect(new MessageReader(255).push(big)?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(new MessageReader(256).push(big)).toBeUndefined();
    expect(new MessageReader(100).push(Buffer.from([1, 0, 0, 0, 1, 9]))?.code).toBe(status.INTERNAL);
  });

  it('takes chunks that each hold exactly one message as views, one after another', () => {
    const r = new MessageReader(100);
    const a = frame(new Uint8Array([7, 8]));
    const b = frame(new Uint8Array([]));
    expect(r.push(a)).toBeUndefined();
    expect(r.push(b)).toBeUndefined();
    expect(r.messages.map((m) => [...m])).toEqual([[7, 8], []]);
    expect(r.messages[0]!.buffer).toBe(a.buffer);
    expect(r.partial).toBe(0);
    // A message begun after them is still read across chunks.
    const c = frame(new Uint8Array([1, 2, 3]));
    expect(r.push(c.subarray(0, 4))).toBeUndefined();
    expect(r.push(c.subarray(4))).toBeUndefined();
    expect(r.messages.map((m) => [...m])).toEqual([[7, 8], [], [1, 2, 3]]);
  });

  it('counts a truncated message as partial', () => {
    const r = new MessageReader(100);
    r.push(frame(new Uint8Array([1, 2, 3])).subarray(0, 6));
    expect(r.messages).toHaveLength(0);
    expect(r.partial).toBe(6);
  });

  it('reads grpc-timeout in every unit and refuses malformed ones', () => {
    expect(parseTimeout('2H')).toBe(7_200_000);
    expect(parseTimeout('3M')).toBe(180_000);
    expect(parseTimeout('4S')).toBe(4000);
    expect(parseTimeout('250m')).toBe(250);
    expect(parseTimeout('1500u')).toBe(1.5);
    expect(parseTimeout('2000000n')).toBe(2);
    expect(parseTimeout('123456789S')).toBeUndefined();
    expect(parseTimeout('5s')).toBeUndefined();
    expect(parseTimeout('')).toBeUndefined();
    expect(parseTimeout(undefined)).toBeUndefined();
  });

  it('percent-encodes grpc-message outside printable ASCII and %', () => {
    expect(encodeGrpcMessage('plain text: ok')).toBe('plain text: ok');
    expect(encodeGrpcMessage('100% sure')).toBe('100%25 sure');
    expect(encodeGrpcMessage('é\n')).toBe('%C3%A9%0A');
  });
});
