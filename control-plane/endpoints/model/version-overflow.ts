// One model version's overflow step (overflow.ts) from its endpoints in the table. Pure.
import { nextOverflow, type OverflowParams, type OverflowState } from './overflow.js';
import type { PodRecords, VersionEntry } from './records.js';
import { type Utilization, utilization } from './utilization.js';

/**
 * The version's next overflow state from its HEALTHY endpoints, or undefined when there is
 * nothing to decide (no CPU endpoint to overflow to, and no overflow to end).
 */
export function versionOverflow(
  key: string,
  v: VersionEntry,
  pods: PodRecords,
  nowMs: number,
  p: OverflowParams,
): OverflowState | undefined {
  const gpu: Utilization[] = [];
  let cpu = 0;
  for (const podId of v.pods) {
    const rec = pods.get(podId)!;
    if (rec.health !== 'HEALTHY') continue;
    // A GPU endpoint that has not said its GPU's utilization yet counts as idle.
    if (rec.info.versions.get(key)?.backend === 'gpu') gpu.push(rec.hb?.gpu ?? utilization(0));
    else cpu++;
  }
  if (cpu === 0 && !v.overflow.active) return undefined;
  return nextOverflow(v.overflow, gpu, nowMs, p);
}
