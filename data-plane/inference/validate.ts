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

/** maxBatchSize 0: the model runs unbatched and shapes must match the signature in full. */
export function validateRequest(
  req: InferRequest,
  signature: ModelSignature,
  maxBatchSize: number,
): { ok: ValidatedRequest } | { issues: Issue[] } {
  const issues: Issue[] = [];
  const byName = new Map<string, number>();
  req.inputs.forEach((t, i) => {
    if (byName.has(t.name))
      issues.push({ path: `inputs[${i}].name`, message: `input ${t.name} is given twice` });
    byName.set(t.name, i);
    if (!signature.inputs.some((s) => s.name === t.name))
      issues.push({
        path: `inputs[${i}].name`,
        message: `model has no input ${JSON.stringify(t.name)} (inputs: ${signature.inputs.map((s) => s.name).join(', ')})`,
      });
  });
  const ordered: Tensor[] = [];
  let rows: number | undefined;
  for (const spec of signature.inputs) {
    const i = byName.get(spec.name);
    if (i === undefined) {
      issues.push({ path: 'inputs', message: `input ${spec.name} is missing` });
      continue;
    }
    const t = req.inputs[i]!;
    const at = `inputs[${i}]`;
    if (t.datatype !== spec.datatype) {
      issues.push({
        path: `${at}.datatype`,
        message: `${spec.name} must be ${spec.datatype}, got ${t.datatype}`,
      });
      continue;
    }
    if (!isFixedSize(t.datatype)) {
      issues.push({ path: `${at}.datatype`, message: `${t.datatype} tensors are not served` });
      continue;
    }
    if (t.shape.length !== spec.shape.length) {
      issues.push({
        path: `${at}.shape`,
        message: `${spec.name} must have rank ${spec.shape.length} ([${spec.shape.join(', ')}]), got [${t.shape.join(', ')}]`,
      });
      continue;
    }
    const bad = t.shape.findIndex(
      (d, k) => !Number.isInteger(d) || d < 0 || (spec.shape[k]! >= 0 && d !== spec.shape[k]),
    );
    if (bad >= 0) {
      issues.push({
        path: `${at}.shape[${bad}]`,
        message: `${spec.name} must have shape [${spec.shape.join(', ')}], got [${t.shape.join(', ')}]`,
      });
      continue;
    }
    const want = elementCount(t.shape) * elementSize(t.datatype);
    if (t.data.byteLength !== want) {
      issues.push({
        path: `${at}.contents`,
        message: `${spec.name} of shape [${t.shape.join(', ')}] ${t.datatype} needs ${want} bytes, got ${t.data.byteLength}`,
      });
      continue;
    }
    if (maxBatchSize > 0) {
      const n = t.shape[0]!;
      if (rows !== undefined && n !== rows)
        issues.push({
          path: `${at}.shape[0]`,
          message: `batch size ${n} differs from other inputs' ${rows}`,
        });
      else if (n < 1 || n > maxBatchSize)
        issues.push({ path: `${at}.shape[0]`, message: `batch size must be 1 to ${maxBatchSize}, got ${n}` });
      rows = n;
    }
    ordered.push(t);
  }
  const outputs = req.outputs ?? [];
  outputs.forEach((name, i) => {
    if (!signature.outputs.some((s) => s.name === name))
      issues.push({
        path: `outputs[${i}].name`,
        message: `model has no output ${JSON.stringify(name)} (outputs: ${signature.outputs.map((s) => s.name).join(', ')})`,
      });
  });
  if (issues.length) return { issues };
  const key = maxBatchSize > 0 ? ordered.map((t) => t.shape.slice(1).join('x')).join('|') : '';
  return { ok: { inputs: ordered, rows: maxBatchSize > 0 ? rows! : 1, key, outputs } };
}
