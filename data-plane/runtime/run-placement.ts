// Where a version's runs execute (pure). onnxruntime-node's `session.run` returns a promise but
// computes synchronously on the calling thread, so a run on the main thread blocks every other
// request of the pod for its whole duration; a worker thread costs a hop instead (two thread
// wake-ups and a message each way, 0.2-0.35 ms on a loaded 2-core machine). A model whose
// largest batch runs within the budget is cheaper inline. One whose largest batch is over it but
// whose small batches fit is split: small batches on a main-thread session, the rest on the
// worker, at the price of a second session of the model (so only up to a model size). The rule
// and its thresholds: docs/DATAPLANE.md, "Runtime".
import type { ExecutionProviderName } from '../repository/config.js';
import { elementCount, elementSize, isFixedSize } from '../tensors/datatypes.js';
import type { ModelSignature, Tensor } from '../tensors/tensor.js';
import type { RunPlace } from './runner.js';

/** The longest a probe run at the largest batch may take for the model to run inline. */
export const DEFAULT_INLINE_BUDGET_MS = 1;
/** Probe runs measured (after one warm-up run); their median decides. */
export const PROBE_RUNS = 5;
/**
 * The largest model file that may get a main-thread session beside its worker's: the second
 * session costs about the file's size again in memory (docs/DATAPLANE.md, "The inline rule").
 */
export const SPLIT_MAX_MODEL_BYTES = 64 * 1024 * 1024;

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
  /** 'split': batches of at most this many rows run inline, larger ones on the worker. */
  readonly inlineRows?: number;
}

/** One probed batch size and its median run. */
export interface Probed {
  readonly rows: number;
  readonly medianMs: number;
}

/** Batch sizes to probe for a split, smallest first: 1, 2, 4, ... below the largest batch. */
export function splitProbeRows(largest: number): number[] {
  const rows: number[] = [];
  for (let r = 1; r < largest; r *= 2) rows.push(r);
  return rows;
}

/** Whether the smaller batches probed so far leave room to probe the next size. */
export function probeNext(probed: readonly Probed[], budgetMs: number): boolean {
  const last = probed[probed.length - 1];
  return last === undefined || last.medianMs <= budgetMs;
}

/**
 * After the largest batch missed the budget (`worker`, that placement): a split when the model
 * is small enough for a second session and some smaller batch fits, else the worker as it was.
 * `small`: the probes of splitProbeRows, smallest first, up to the first over the budget.
 */
export function placeSplit(
  worker: Placement,
  f: { readonly budgetMs: number; readonly modelBytes: number; readonly small: readonly Probed[] },
): Placement {
  if (f.modelBytes > SPLIT_MAX_MODEL_BYTES)
    return { ...worker, reason: `${worker.reason}; too large for a second session` };
  const fits = f.small.filter((p) => p.medianMs <= f.budgetMs);
  const best = fits[fits.length - 1];
  if (!best) {
    const one = f.small[0];
    const why = one ? `, 1-row run ${one.medianMs.toFixed(3)} ms too` : '';
    return { ...worker, reason: `${worker.reason}${why}` };
  }
  return {
    place: 'split',
    inlineRows: best.rows,
    reason:
      `up to ${best.rows} row(s) inline (${best.rows}-row run ${best.medianMs.toFixed(3)} ms <= ` +
      `${f.budgetMs} ms budget), larger batches on the worker (${worker.reason})`,
  };
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
