// The log line of a version that became READY: how long it took, where its session came from
// and where its runs go (operators read load times and the inline rule's decision from it).
import type { Placement } from '../runtime/run-placement.js';
import type { Runner } from '../runtime/runner.js';

export interface LoadedVersion {
  readonly model: string;
  readonly version: string;
  readonly provider?: string;
  readonly pool?: Runner;
  readonly runPlacement?: Placement;
  readonly maxBatchSize: number;
  readonly unbatchedReason?: string;
}

export function readyLine(v: LoadedVersion, ms: number, packedNext: boolean): string {
  const loaded = v.pool!.loaded;
  const how = v.maxBatchSize
    ? `batching up to ${v.maxBatchSize}`
    : `unbatched${v.unbatchedReason ? ` (${v.unbatchedReason})` : ''}`;
  return (
    `model ${v.model} version ${v.version} ready in ${Math.round(ms)} ms on ${v.provider}` +
    `${loaded.fromOptimized ? ' from its pre-optimized ORT-format file' : ''}` +
    `${loaded.fromMapped ? ' with its weights mapped' : ''}` +
    ` (session ${Math.round(loaded.loadMs)} ms${packedNext ? ', weights packed next, in the background' : ''}) ` +
    `(${v.pool!.instances} instance(s), ${how}; ${v.runPlacement!.place}: ${v.runPlacement!.reason})`
  );
}
