// Decides where a freshly loaded version runs (run-placement.ts has the rule): probes its
// worker with zero-filled batches of the largest size the batcher forms, and when the median
// run fits the inline budget, replaces the worker by a session on the main thread.
import type { ModelSignature } from '../tensors/tensor.js';
import { InlineSession } from './inline-session.js';
import { type Placement, PROBE_RUNS, placeRuns, placeWithoutProbe, probeInputs } from './run-placement.js';
import type { Runner } from './runner.js';
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

export async function placeRunner(o: PlaceOptions): Promise<{ runner: Runner; placement: Placement }> {
  const rows = Math.max(1, o.maxBatchSize);
  const { provider } = o.pool.loaded;
  const facts = { provider, instances: o.pool.instances, budgetMs: o.budgetMs, rows };
  const fixed = placeWithoutProbe(facts);
  if (fixed) return { runner: o.pool, placement: fixed };
  const placement = placeRuns({ ...facts, probe: await probe(o, rows) });
  if (placement.place === 'worker') return { runner: o.pool, placement };
  const { modelPath, optimizedPath, writeOptimized, session } = o.poolOptions;
  const ortFile = optimizedPath ?? writeOptimized;
  const inline = await InlineSession.create({
    modelPath,
    ...(ortFile ? { optimizedPath: ortFile } : {}),
    session,
    injectDelayMs: o.poolOptions.injectDelayMs,
    loaded: o.pool.loaded,
  });
  await o.pool.stop();
  return { runner: inline, placement };
}
