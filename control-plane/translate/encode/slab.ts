// Small encodings (assignments, upstream TLS contexts) carved from shared 8 KiB slabs, as
// Node's Buffer pool carves Buffer.allocUnsafe: a backing store of its own per encoding took as
// long as writing an assignment. A slab lives while any encoding in it does, so the memory held
// beyond what live encodings use is at most one slab per live encoding, and in practice a few
// slabs (an encoding is a few hundred bytes, and those of one build fill slabs in a row). The
// views are plain Uint8Arrays; the caller writes every byte of what it is given.
const SLAB = 8 * 1024;
let slab = new ArrayBuffer(SLAB);
let used = 0;

/** A view of `n` bytes: from the current slab up to half a slab, else a buffer of its own. */
export function allocate(n: number): Uint8Array {
  if (n > SLAB / 2) return new Uint8Array(n);
  if (used + n > SLAB) {
    slab = new ArrayBuffer(SLAB);
    used = 0;
  }
  const out = new Uint8Array(slab, used, n);
  // Aligned, as Node aligns its pool, so a later view starts on a word boundary.
  used = (used + n + 7) & ~7;
  return out;
}
