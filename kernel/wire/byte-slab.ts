// Small encoded messages carved out of shared 8 KiB slabs, as Node's Buffer pool carves
// Buffer.allocUnsafe: a `new Uint8Array(n)` of more than 64 bytes gets a backing store of its
// own outside the JavaScript heap (an allocation, external-memory accounting, and a sweep by the
// garbage collector), which cost a few microseconds each for the tens of thousands of small
// encodings (TLS contexts, route lists, listener configs) a full translation makes. A view keeps
// its whole slab alive, so at worst a slab of 8 KiB stays for one surviving view: the bound Node
// accepts for its Buffer pool. Larger arrays get their own backing store.

const SLAB_BYTES = 8 * 1024;
/** Above this size an array is allocated on its own (at most an eighth of a slab is wasted). */
const MAX_CARVED = SLAB_BYTES >>> 3;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/** A zero-filled Uint8Array of `n` bytes that nothing else shares. */
export function allocBytes(n: number): Uint8Array {
  if (n > MAX_CARVED) return new Uint8Array(n);
  if (used + n > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const view = new Uint8Array(slab, used, n);
  // Keep every view 8-byte aligned, so a reader may put a wider typed array over it.
  used += (n + 7) & ~7;
  return view;
}

/** A copy of `src[start, end)` in bytes of its own (allocBytes). */
export function copyBytes(src: Uint8Array, start: number, end: number): Uint8Array {
  const out = allocBytes(end - start);
  out.set(src.subarray(start, end));
  return out;
}
