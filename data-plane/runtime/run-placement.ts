// Where a version's runs execute (pure). onnxruntime-node's `session.run` returns a promise but
// computes synchronously on the calling thread, so a run on the main thread blocks every other
// request of the pod for its whole duration; a worker thread costs a hop instead (two thread
// wake-ups and a message each way, 0.2-0.35 ms on a loaded 2-core machine). A model whose
// largest batch runs within the budget is cheaper inline; any longer one stays on a worker.
// The rule and its threshold: docs/DATAPLANE.md, "Runtime".
import type { ExecutionProviderName } from '../repository/config.js';
import { elementCount, elementSize, isFixedSize } from '../tensors/datatypes.js';
import type { ModelSignature, Tensor } from '../tensors/tensor.js';
import type { RunPlace } from './runner.js';

/** The longest a probe run at the largest batch may take for the model to run inline. */
export const DEFAULT_INLINE_BUDGET_MS = 1;
/** Probe runs measured (after one warm-up run); their median decides. */
export const PROBE_RUNS = 5;

export interface PlacementFacts {
  readonly provider: ExecutionProviderName;
  readonly instances: number;
  /** The budget (0: never inline). */
  readonly budgetMs: number;
  /** Rows of the probe (the largest batch the batcher forms; 1 when unbatched). */
  readonly rows: number;
  /** Median probe run in ms, or why the model could not be probed. */
  readonly probe: { readonly medianMs: number } | { readonly unprobed: string };
}

export interface Placement {
  readonly place: RunPlace;
  readonly reason: string;
}

/** The placement that needs no probe (a worker, and why), or undefined: probe to decide. */
export function placeWithoutProbe(f: Omit<PlacementFacts, 'probe'>): Placement | undefined {
  if (f.budgetMs <= 0) return { place: 'worker', reason: 'inline runs are off (budget 0)' };
  if (f.provider !== 'cpu') return { place: 'worker', reason: `${f.provider} sessions run on a worker` };
  if (f.instances > 1)
    return { place: 'worker', reason: `instance_count ${f.instances} asks for parallel sessions` };
  return undefined;
}

export function placeRuns(f: PlacementFacts): Placement {
  const fixed = placeWithoutProbe(f);
  if (fixed) return fixed;
  if ('unprobed' in f.probe) return { place: 'worker', reason: `not probed: ${f.probe.unprobed}` };
  const ms = f.probe.medianMs;
  const what = `${f.rows}-row run ${ms.toFixed(3)} ms`;
  return ms <= f.budgetMs
    ? { place: 'inline', reason: `${what} <= ${f.budgetMs} ms budget` }
    : { place: 'worker', reason: `${what} > ${f.budgetMs} ms budget` };
}

/**
 * Zero-filled inputs of `rows` rows (a free leading dimension) for a probe run, or why there can
 * be none (a free dimension other than the leading one, or a datatype without a fixed size). Each call makes fresh buffers:
 * a run on a worker moves them.
 */
export function probeInputs(signature: ModelSignature, rows: number): Tensor[] | string {
  const out: Tensor[] = [];
  for (const spec of signature.inputs) {
    if (!isFixedSize(spec.datatype)) return `input ${spec.name} is ${spec.datatype}`;
    const shape = spec.shape.map((d, k) => (k === 0 && d < 0 ? rows : d));
    const free = shape.findIndex((d) => d < 0);
    if (free >= 0) return `input ${spec.name} has a free dimension ${free}`;
    const data = new Uint8Array(elementCount(shape) * elementSize(spec.datatype));
    out.push({ name: spec.name, datatype: spec.datatype, shape, data });
  }
  return out;
}
