// Merging requests into one batch along dimension 0 and handing each caller its own rows back.
// Byte-level and pure. Concatenation copies each request once into a fresh buffer (which then
// moves to the worker thread without a copy); splitting makes views, never copies.
import { InferenceFailedError } from '../errors.js';
import type { Tensor } from './tensor.js';

/** parts[j][i]: input i of request j (same order and trailing shape in every request). */
export function concatRows(parts: readonly (readonly Tensor[])[]): Tensor[] {
  const first = parts[0];
  if (!first) return [];
  return first.map((t0, i) => {
    let total = 0;
    let rows = 0;
    for (const p of parts) {
      total += p[i]!.data.byteLength;
      rows += p[i]!.shape[0]!;
    }
    const data = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      data.set(p[i]!.data, at);
      at += p[i]!.data.byteLength;
    }
    return { name: t0.name, datatype: t0.datatype, shape: [rows, ...t0.shape.slice(1)], data };
  });
}

/** Splits batch outputs by the callers' row counts. Every output must lead with the batch dim. */
export function splitRows(outputs: readonly Tensor[], rowsPerCaller: readonly number[]): Tensor[][] {
  const total = rowsPerCaller.reduce((a, b) => a + b, 0);
  const result: Tensor[][] = rowsPerCaller.map(() => []);
  for (const out of outputs) {
    if (out.shape[0] !== total)
      throw new InferenceFailedError(
        `output ${out.name} has shape [${out.shape.join(', ')}], not ${total} rows: it cannot be split per request`,
      );
    const rowBytes = total ? out.data.byteLength / total : 0;
    let row = 0;
    rowsPerCaller.forEach((n, j) => {
      const data = out.data.subarray(row * rowBytes, (row + n) * rowBytes);
      result[j]!.push({ name: out.name, datatype: out.datatype, shape: [n, ...out.shape.slice(1)], data });
      row += n;
    });
  }
  return result;
}
