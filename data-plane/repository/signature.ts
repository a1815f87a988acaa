// A model version's signature: what the ONNX session declares, refined by config.yaml, and
// whether requests can be batched along a leading dimension. Pure.
import type { Issue } from '../errors.js';
import { fromOrtType, isFixedSize } from '../tensors/datatypes.js';
import type { ModelSignature, TensorSpec } from '../tensors/tensor.js';
import type { ModelConfig } from './config.js';

/** One input or output as the ONNX Runtime session reports it (symbolic dims are strings). */
export interface SessionIO {
  readonly name: string;
  readonly type: string;
  readonly shape?: readonly (number | string)[];
  readonly isTensor: boolean;
}

export interface ResolvedSignature {
  readonly signature: ModelSignature;
  /** 0: run requests one by one. */
  readonly maxBatchSize: number;
  /** Why a version configured for batching runs unbatched. */
  readonly unbatchedReason?: string;
  readonly issues: Issue[];
}

function fromSession(io: SessionIO, path: string, issues: Issue[]): TensorSpec | undefined {
  if (!io.isTensor) {
    issues.push({ path, message: `${io.name} is not a tensor (sequences and maps are not served)` });
    return undefined;
  }
  const datatype = fromOrtType(io.type);
  if (!datatype || !isFixedSize(datatype)) {
    issues.push({ path, message: `${io.name} has type ${io.type}, which the pod does not serve` });
    return undefined;
  }
  const shape = (io.shape ?? []).map((d) => (typeof d === 'number' && d >= 0 ? d : -1));
  return { name: io.name, datatype, shape };
}

function refine(base: TensorSpec, override: TensorSpec, path: string, issues: Issue[]): TensorSpec {
  if (override.datatype !== base.datatype) {
    issues.push({
      path: `${path}.datatype`,
      message: `the model says ${base.datatype}, config says ${override.datatype}`,
    });
    return base;
  }
  if (base.shape.length && override.shape.length !== base.shape.length) {
    issues.push({
      path: `${path}.shape`,
      message: `the model has rank ${base.shape.length}, config ${override.shape.length}`,
    });
    return base;
  }
  const shape = override.shape.map((d, i) => {
    const b = base.shape[i] ?? -1;
    if (b >= 0 && d >= 0 && b !== d)
      issues.push({
        path: `${path}.shape[${i}]`,
        message: `the model fixes this dimension at ${b}, config says ${d}`,
      });
    return b >= 0 ? b : d;
  });
  return { ...base, shape };
}

function merge(
  session: readonly SessionIO[],
  overrides: readonly TensorSpec[] | undefined,
  kind: 'inputs' | 'outputs',
  issues: Issue[],
): TensorSpec[] {
  const specs: TensorSpec[] = [];
  session.forEach((io, i) => {
    const s = fromSession(io, `${kind}[${i}]`, issues);
    if (s) specs.push(s);
  });
  (overrides ?? []).forEach((o, i) => {
    const at = specs.findIndex((s) => s.name === o.name);
    if (at < 0) {
      issues.push({
        path: `config.${kind}[${i}].name`,
        message: `the model has no ${kind.slice(0, -1)} ${o.name}`,
      });
      return;
    }
    specs[at] = refine(specs[at]!, o, `config.${kind}[${i}]`, issues);
  });
  return specs;
}

export function resolveSignature(
  session: { readonly inputs: readonly SessionIO[]; readonly outputs: readonly SessionIO[] },
  config: ModelConfig,
): ResolvedSignature {
  const issues: Issue[] = [];
  const inputs = merge(session.inputs, config.inputs, 'inputs', issues);
  const outputs = merge(session.outputs, config.outputs, 'outputs', issues);
  const signature = { inputs, outputs };
  if (config.maxBatchSize === 0) return { signature, maxBatchSize: 0, issues };
  // Batching needs every input and output to have a leading dimension of any size.
  const fixed = [...inputs, ...outputs].find((t) => t.shape.length === 0 || t.shape[0] !== -1);
  if (fixed) {
    const why = `${fixed.name} has no variable leading (batch) dimension: shape [${fixed.shape.join(', ')}]`;
    return { signature, maxBatchSize: 0, unbatchedReason: why, issues };
  }
  return { signature, maxBatchSize: config.maxBatchSize, issues };
}
