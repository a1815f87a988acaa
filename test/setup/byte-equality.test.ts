import { describe, expect, it } from 'vitest';

describe('byte arrays in toEqual (test/setup/byte-equality.ts)', () => {
  it('are equal by content and unequal on one byte or on length', () => {
    const a = new Uint8Array(4096).fill(7);
    expect(a).toEqual(new Uint8Array(4096).fill(7));
    const b = new Uint8Array(a);
    b[4000] = 8;
    expect(() => expect(a).toEqual(b)).toThrow(/to deeply equal/);
    expect(a).not.toEqual(a.subarray(1));
    expect({ bytes: a }).not.toEqual({ bytes: b });
  });

  it('still tells a Buffer from a Uint8Array, as vitest does', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    expect(Buffer.from(bytes)).not.toEqual(bytes);
    expect(Buffer.from(bytes)).toEqual(Buffer.from([1, 2, 3]));
  });
});
