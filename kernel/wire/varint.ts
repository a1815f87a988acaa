// Protobuf base-128 varints for the few messages encoded by hand on hot paths (the translator's
// listener and TLS templates, the pod's ModelInfer answers). Lengths and sizes only: non-negative
// integers up to 2^53, so the shift is used below 2^31 and division above it.

/** Bytes of `n` as a varint. */
export function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = n < 0x80000000 ? n >>> 7 : Math.floor(n / 128);
    len++;
  }
  return len;
}

/** Writes `n` at `at`; returns the offset after it. */
export function writeVarint(out: Uint8Array, at: number, n: number): number {
  while (n >= 0x80) {
    // `&` reads the low 32 bits, which hold the low 7 bits of any integer up to 2^53.
    out[at++] = (n & 0x7f) | 0x80;
    n = n < 0x80000000 ? n >>> 7 : Math.floor(n / 128);
  }
  out[at++] = n;
  return at;
}
