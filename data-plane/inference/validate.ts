// Checks a request against a model's signature before it is queued, and names the field that
// is wrong (`inputs[1].shape[2]`), so a bad request costs a 400 and never reaches a worker.
// Pure.
import type { Issue } from '../errors.js';
import { elementCount, elementSize, isFixedSize } from '../tensors/datatypes.js';
import type { InferRequest, ModelSignature, Tensor } from '../tensors/tensor.js';

export interface ValidatedRequest {
  /** In the signature's order, so batches line up input by input. */
  readonly inputs: readonly Tensor[];
  /** Rows along the batch dimension; 1 for unbatched models. */
  readonly rows: number;
  /** Requests merge into one batch only when their non-batch dimensions agree. */
  readonly key: string;
  readonly outputs: readonly string[];
}

/** The last input named `name`, as a name given twice resolves; -1 when none is. */
function lastNamed(inputs: readonly Tensor[], name: string): number {
  for (let i = inputs.length - 1; i >= 0; i--) if (inputs[i]!.name === name) return i;
  return -1;
}

/** Whether an input before position `end` is named `name`. */
function namedBefore(inputs: readonly Tensor[], name: string, end: number): boolean {
  for (let j = 0; j < end; j++) if (inputs[j]!.name === name) return true;
  return false;
}

function hasName(list: readonly { readonly name: string }[], name: string): boolean {
  for (const x of list) if (x.name === name) return true;
  return false;
}

/** The first dimension of `shape` that is not a whole number or not the signature's; -1: none. */
function badDimension(shape: readonly number[], want: readonly number[]): number {
  for (let k = 0; k < shape.length; k++) {
    const d = shape[k]!;
    if (!Number.isInteger(d) || d < 0 || (want[k]! >= 0 && d !== want[k])) return k;
  }
  return -1;
}

/** The batch key: each input's non-batch dimensions joined by `x`, the inputs by `|`. */
function batchKey(ordered: readonly Tensor[]): string {
  let key = '';
  for (let j = 0; j < ordered.length; j++) {
    if (j > 0) key += '|';
    const shape = ordered[j]!.shape;
    for (let k = 1; k < shape.length; k++) key += k > 1 ? `x${shape[k]}` : `${shape[k]}`;
  }
  return key;
}

const NO_OUTPUTS: readonly string[] = Object.freeze([]);

/**
 * maxBatchSize 0: the model runs unbatched and shapes must match the signature in full. Runs for
 * every request, so a valid request costs its answer and an empty issue list: no
 * closures, no index map, and a field's path spelled only for an issue.
 */
export function validateRequest(
  req: InferRequest,
  signature: ModelSignature,
  maxBatchSize: number,
): { ok: ValidatedRequest } | { issues: Issue[] } {
  const issues: Issue[] = [];
  const given = req.inputs;
  for (let i = 0; i < given.length; i++) {
    const t = given[i]!;
    if (namedBefore(given, t.name, i))
      issues.push({ path: `inputs[${i}].name`, message: `input ${t.name} is given twice` });
    if (!hasName(signature.inputs, t.name))
      issues.push({
        path: `inputs[${i}].name`,
        message: `model has no input ${JSON.stringify(t.name)} (inputs: ${signature.inputs.map((s) => s.name).join(', ')})`,
      });
  }
  const ordered: Tensor[] = [];
  let rows: number | undefined;
  for (const spec of signature.inputs) {
    const i = lastNamed(given, spec.name);
    if (i < 0) {
      issues.push({ path: 'inputs', message: `input ${spec.name} is missing` });
      continue;
    }
    const t = given[i]!;
    if (t.datatype !== spec.datatype) {
      issues.push({
        path: `inputs[${i}].datatype`,
        message: `${spec.name} must be ${spec.datatype}, got ${t.datatype}`,
      });
      continue;
    }
    if (!isFixedSize(t.datatype)) {
      issues.push({
        path: `inputs[${i}].datatype`,
        message: `${t.datatype} tensors are not served`,
      });
      continue;
    }
    if (t.shape.length !== spec.shape.length) {
      issues.push({
        path: `inputs[${i}].shape`,
        message: `${spec.name} must have rank ${spec.shape.length} ([${spec.shape.join(', ')}]), got [${t.shape.join(', ')}]`,
      });
      continue;
    }
    const bad = badDimension(t.shape, spec.shape);
    if (bad >= 0) {
      issues.push({
        path: `inputs[${i}].shape[${bad}]`,
        message: `${spec.name} must have shape [${spec.shape.join(', ')}], got [${t.shape.join(', ')}]`,
      });
      continue;
    }
    const want = elementCount(t.shape) * elementSize(t.datatype);
    if (t.data.byteLength !== want) {
      issues.push({
        path: `inputs[${i}].contents`,
        message: `${spec.name} of shape [${t.shape.join(', ')}] ${t.datatype} needs ${want} bytes, got ${t.data.byteLength}`,
      });
      continue;
    }
    if (maxBatchSize > 0) {
      const n = t.shape[0]!;
      if (rows !== undefined && n !== rows)
        issues.push({
          path: `inputs[${i}].shape[0]`,
          message: `batch size ${n} differs from other inputs' ${rows}`,
        });
      else if (n < 1 || n > maxBatchSize)
        issues.push({
          path: `inputs[${i}].shape[0]`,
          message: `batch size must be 1 to ${maxBatchSize}, got ${n}`,
        });
      rows = n;
    }
    ordered.push(t);
  }
  const outputs = req.outputs ?? NO_OUTPUTS;
  for (let i = 0; i < outputs.length; i++)
    if (!hasName(signature.outputs, outputs[i]!))
      issues.push({
        path: `outputs[${i}].name`,
        message: `model has no output ${JSON.stringify(outputs[i])} (outputs: ${signature.outputs.map((s) => s.name).join(', ')})`,
      });
  if (issues.length) return { issues };
  const key = maxBatchSize > 0 ? batchKey(ordered) : '';
  return { ok: { inputs: ordered, rows: maxBatchSize > 0 ? rows! : 1, key, outputs } };
}
