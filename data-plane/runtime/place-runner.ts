// Decides where a freshly loaded version runs (run-placement.ts has the rule): probes its
// worker with zero-filled batches of the largest size the batcher forms, and when the median
// run fits the inline budget, replaces the worker by a session on the main thread. When it does
// not, probes 1, 2, 4, ... rows, and when some fit, adds a main-thread session for those beside
// the worker (split-runner.ts).
import { stat } from 'node:fs/promises';
import type { ModelSignature } from '../tensors/tensor.js';
import { InlineSession } from './inline-session.js';
import {
  type Placement,
  PROBE_RUNS,
  type Probed,
  placeRuns,
  placeSplit,
  placeWithoutProbe,
  probeInputs,
  probeNext,
  SPLIT_MAX_MODEL_BYTES,
  splitProbeRows,
} from './run-placement.js';
import type { Runner } from './runner.js';
import { SplitRunner } from './split-runner.js';
import type { PoolOptions, WorkerPool } from './worker-pool.js';

export interface PlaceOptions {
  readonly pool: WorkerPool;
  readonly poolOptions: PoolOptions;
  readonly signature: ModelSignature;
  /** 0: unbatched (probed at the signature's own shape). */
  readonly maxBatchSize: number;
  readonly budgetMs: number;
}

async function probe(o: PlaceOptions, rows: number): Promise<{ medianMs: number } | { unprobed: string }> {
  const times: number[] = [];
  // The injected delay (tests) is a sleep, not a block of the thread: probe without it.
  o.pool.setInjectDelay(0);
  try {
    for (let i = 0; i <= PROBE_RUNS; i++) {
      const inputs = probeInputs(o.signature, rows);
      if (typeof inputs === 'string') return { unprobed: inputs };
      const r = await o.pool.run(inputs);
      if (i > 0) times.push(r.computeMs); // the first run warms the session up
      // Once most runs are over the budget the median is too: a slow model's load stops here.
      if (times.filter((t) => t > o.budgetMs).length > PROBE_RUNS / 2) break;
    }
  } catch (err) {
    return { unprobed: (err as Error).message };
  } finally {
    o.pool.setInjectDelay(o.poolOptions.injectDelayMs);
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[times.length >> 1]! };
}

/** The smaller batches' probes, smallest first, up to the first over the budget. */
async function probeSmall(o: PlaceOptions, largest: number): Promise<Probed[]> {
  const probed: Probed[] = [];
  for (const rows of splitProbeRows(largest)) {
    if (!probeNext(probed, o.budgetMs)) break;
    const p = await probe(o, rows);
    if ('unprobed' in p) break;
    probed.push({ rows, medianMs: p.medianMs });
  }
  return probed;
}

async function modelBytes(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

function inlineSession(o: PlaceOptions): Promise<InlineSession> {
  const { modelPath, optimizedPath, writeOptimized, session } = o.poolOptions;
  const ortFile = optimizedPath ?? writeOptimized;
  return InlineSession.create({
    modelPath,
    ...(ortFile ? { optimizedPath: ortFile } : {}),
    session,
    injectDelayMs: o.poolOptions.injectDelayMs,
    loaded: o.pool.loaded,
  });
}

const MIB = 1024 * 1024;

/** `workers`: the pool when it still serves (worker or split), for packing its weights later. */
export async function placeRunner(
  o: PlaceOptions,
): Promise<{ runner: Runner; placement: Placement; workers?: WorkerPool }> {
  const rows = Math.max(1, o.maxBatchSize);
  const { provider } = o.pool.loaded;
  const facts = { provider, instances: o.pool.instances, budgetMs: o.budgetMs, rows };
  const fixed = placeWithoutProbe(facts);
  if (fixed) return { runner: o.pool, placement: fixed, workers: o.pool };
  const largest = await probe(o, rows);
  const placement = placeRuns({ ...facts, probe: largest });
  if (placement.place === 'inline') {
    const inline = await inlineSession(o);
    await o.pool.stop();
    return { runner: inline, placement };
  }
  if ('unprobed' in largest || rows === 1) return { runner: o.pool, placement, workers: o.pool };
  const bytes = await modelBytes(o.poolOptions.modelPath);
  const small = bytes > SPLIT_MAX_MODEL_BYTES ? [] : await probeSmall(o, rows);
  const split = placeSplit(placement, { budgetMs: o.budgetMs, modelBytes: bytes, small });
  if (split.place !== 'split') return { runner: o.pool, placement: split, workers: o.pool };
  return {
    runner: new SplitRunner(await inlineSession(o), o.pool, split.inlineRows!),
    placement: { ...split, reason: `${split.reason}; a second session of ${(bytes / MIB).toFixed(1)} MiB` },
    workers: o.pool,
  };
}
