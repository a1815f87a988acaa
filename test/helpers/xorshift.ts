// A small deterministic generator (xorshift32) for generated test cases, so that a failure
// names a seed that reproduces it.

/** Uniform numbers in [0, 1) from `seed` (0 is taken as 1: xorshift stays at 0 forever). */
export function rng(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}
