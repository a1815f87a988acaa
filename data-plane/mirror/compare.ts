// How a candidate's answer to a mirrored request compares with the stable version's own answer
// (docs/ROLLOUTS.md, "Mirroring"). Only the first output is compared. A [rows, classes] output
// with more than one class is a classification: the answers agree when every row has the same
// top-1 class. Anything else is a regression: they agree when the mean absolute difference of
// the elements is within the tolerance. The mean absolute difference is reported either way.
// Answers of different shapes or types never agree. Pure.
import { isFixedSize } from '../tensors/datatypes.js';
import type { Tensor } from '../tensors/tensor.js';
import { valuesFromBytes } from '../tensors/values.js';

export interface Comparison {
  readonly agreed: boolean;
  /** Mean absolute difference of the first output's elements; 0 when they cannot be compared. */
  readonly absDiff: number;
  readonly kind: 'classification' | 'regression' | 'mismatch';
}

const MISMATCH: Comparison = { agreed: false, absDiff: 0, kind: 'mismatch' };

function numbers(t: Tensor): number[] | undefined {
  if (!isFixedSize(t.datatype) || t.datatype === 'BOOL') return undefined;
  return valuesFromBytes(t.datatype, t.data).map(Number);
}

function argmax(values: readonly number[], from: number, count: number): number {
  let best = from;
  for (let i = from + 1; i < from + count; i++) if (values[i]! > values[best]!) best = i;
  return best - from;
}

export function compareOutputs(
  stable: readonly Tensor[],
  candidate: readonly Tensor[],
  tolerance: number,
): Comparison {
  const a = stable[0];
  const b = candidate.find((t) => t.name === a?.name) ?? candidate[0];
  if (!a || !b || a.datatype !== b.datatype || a.shape.join(',') !== b.shape.join(',')) return MISMATCH;
  const x = numbers(a);
  const y = numbers(b);
  if (!x || !y || x.length !== y.length) return MISMATCH;
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.abs(x[i]! - y[i]!);
  const absDiff = x.length ? sum / x.length : 0;
  if (!Number.isFinite(absDiff)) return MISMATCH;
  const classes = a.shape.length === 2 ? a.shape[1]! : 0;
  if (classes > 1) {
    const rows = a.shape[0]!;
    for (let r = 0; r < rows; r++)
      if (argmax(x, r * classes, classes) !== argmax(y, r * classes, classes))
        return { agreed: false, absDiff, kind: 'classification' };
    return { agreed: true, absDiff, kind: 'classification' };
  }
  return { agreed: absDiff <= tolerance, absDiff, kind: 'regression' };
}
