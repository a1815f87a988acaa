// How much memory a version takes on a pod. Measured beats guessed: a pod reports the memory
// of each loaded session in its heartbeats; before any pod has, the artifact size times
// SIZE_FACTOR stands in (an ONNX Runtime session holds the weights plus arenas and the graph).
import type { DemandedVersion, ManagedPod } from './types.js';

/** Estimate of a loaded session's memory from the artifact size, until one is measured. */
export const SIZE_FACTOR = 1.5;

/** The largest measurement of each version across the fleet (a pod's own wins for itself). */
export function measuredByVersion(pods: readonly ManagedPod[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of pods)
    for (const [key, l] of p.loaded)
      if (l.memoryBytes > 0) out.set(key, Math.max(out.get(key) ?? 0, l.memoryBytes));
  return out;
}

export function estimateBytes(
  key: string,
  pod: ManagedPod | undefined,
  measured: ReadonlyMap<string, number>,
  demanded: DemandedVersion | undefined,
): number {
  const own = pod?.loaded.get(key)?.memoryBytes ?? 0;
  if (own > 0) return own;
  const fleet = measured.get(key);
  if (fleet !== undefined) return fleet;
  return Math.ceil((demanded?.sizeBytes ?? 0) * SIZE_FACTOR);
}

/** `900Mi`, `1.5Gi`: the unit operators set limits in. */
export function formatBytes(n: number): string {
  const units = ['', 'Ki', 'Mi', 'Gi', 'Ti'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const text = v >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(1).replace(/\.0$/, '');
  return `${text}${units[i]}`;
}
