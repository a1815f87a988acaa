// Weight prepacking after READY (docs/DATAPLANE.md, "Cold loads"). MLAS packing the MatMul and
// Conv weights is most of a cold load once the weights are mapped rather than copied (2-3 s wall
// for ~96 MiB on a loaded machine, against milliseconds without it), while a run at batch 1 is as
// fast either way. So a version whose config leaves `prepack` unset, loading from a managed pod's
// mapped weights or ORT-format file, is READY with sessions that pack nothing; sessions that pack
// are then built in new workers and swapped in between runs (runtime/worker-pool.ts). A version
// loaded from model.onnx alone packs at load as before: a second session from it would parse and
// copy every weight again, which costs more than the packing it defers.
import type { Logger } from '../../kernel/log/index.js';
import { formatBytes } from '../managed/memory-size.js';
import type { ModelConfig } from '../repository/config.js';
import type { WorkerPool } from '../runtime/worker-pool.js';

/** Where a version's sessions come from: only a mapped or in-place form makes a session cheap. */
export interface SessionSources {
  readonly mappedPath?: string;
  readonly optimizedPath?: string;
}

/** Whether a version's first sessions skip prepacking, packed ones following in the background. */
export function defersPrepack(config: ModelConfig, sources: SessionSources): boolean {
  return (
    config.session.prepack === 'background' &&
    config.executionProvider === 'cpu' &&
    (sources.mappedPath !== undefined || sources.optimizedPath !== undefined)
  );
}

/** Where a version's weights stand: packed later, packed, or left unpacked after a failure. */
export type PrepackState = 'pending' | 'packed' | 'failed';

/** The part of a served version this updates (serving/model-manager.ts's ServedVersion). */
export interface PrepackTarget {
  readonly model: string;
  readonly version: string;
  memoryBytes?: number;
  prepack?: PrepackState;
}

/**
 * Swaps the version's sessions for ones that pack their weights. Its memory figure grows by the
 * process's RSS growth across the swap (the packed copies, less what the old sessions freed), never
 * below `floorBytes`. A failure keeps the sessions it has and is logged once; a pool stopped
 * meanwhile (the version unloaded) ends it silently. Never rejects.
 */
export async function prepackInBackground(
  v: PrepackTarget,
  pool: WorkerPool,
  floorBytes: number,
  log: Logger,
): Promise<void> {
  v.prepack = 'pending';
  const rss0 = process.memoryUsage.rss();
  const t0 = performance.now();
  const what = `model ${v.model} version ${v.version}`;
  try {
    const loaded = await pool.swapSessions({ ...pool.sessionConfig, prepack: 'at-load' });
    if (!loaded) return;
    const was = v.memoryBytes ?? floorBytes;
    v.memoryBytes = Math.max(floorBytes, was + process.memoryUsage.rss() - rss0);
    v.prepack = 'packed';
    log.info(
      `${what}: weights packed in the background in ${Math.round(performance.now() - t0)} ms ` +
        `(session ${Math.round(loaded.loadMs)} ms), swapped in between runs; ` +
        `memory ${formatBytes(v.memoryBytes)} (was ${formatBytes(was)})`,
    );
  } catch (err) {
    v.prepack = 'failed';
    log.warn(
      `${what}: packing its weights in the background failed; it keeps serving without ` +
        `packed weights: ${(err as Error).message.split('\n')[0]}`,
    );
  }
}
