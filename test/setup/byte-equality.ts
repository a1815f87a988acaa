// Byte arrays compared natively in toEqual: vitest's structural walk visits every byte as a
// property, which made suites comparing encodings (tens of thousands of them) spend most of
// their time there. A mismatch still fails with vitest's own diff of the two arrays.
import { expect } from 'vitest';

expect.addEqualityTesters([
  function sameBytes(a: unknown, b: unknown): boolean | undefined {
    if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array)) return undefined;
    // A Buffer against a plain Uint8Array is left to vitest, which tells them apart.
    if (a.constructor !== b.constructor) return undefined;
    return Buffer.compare(a, b) === 0;
  },
]);
