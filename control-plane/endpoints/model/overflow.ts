// GPU to CPU overflow for one model version (backend preference gpu-overflow-cpu). Pure.
//
// Normally the GPU endpoints are priority 0 and the CPU ones priority 1, so both Envoy and
// gRPC send everything to the GPUs while any is reachable. Priority failover alone only reacts
// to failure, not to load, so the control plane adds the load part: when the GPU endpoints'
// mean utilization reaches `enterPercent` the CPU endpoints are marked `overflow` and the
// translator moves them up to priority 0 next to the GPUs (their weights decide the split).
// They go back to priority 1 once the GPUs' mean utilization falls to `exitPercent`, but not
// before `holdMs` has passed: the gap between the two thresholds and the hold keep a load that
// sits near the threshold from flapping the priorities.

export interface OverflowParams {
  readonly enterPercent: number;
  readonly exitPercent: number;
  readonly holdMs: number;
}

export const DEFAULT_OVERFLOW: OverflowParams = { enterPercent: 80, exitPercent: 50, holdMs: 3000 };

export interface OverflowState {
  readonly active: boolean;
  /** When `active` last changed. */
  readonly sinceMs: number;
}

export const NO_OVERFLOW: OverflowState = { active: false, sinceMs: 0 };

/**
 * The next state from the utilization (percent) of the version's healthy GPU endpoints. With
 * no GPU endpoint left there is nothing to overflow from: the translator already promotes the
 * CPU endpoints to priority 0 when priority 0 would be empty.
 */
export function nextOverflow(
  state: OverflowState,
  gpuUtilizations: readonly number[],
  nowMs: number,
  p: OverflowParams,
): OverflowState {
  if (gpuUtilizations.length === 0) return state.active ? { active: false, sinceMs: nowMs } : state;
  const mean = gpuUtilizations.reduce((a, b) => a + b, 0) / gpuUtilizations.length;
  if (!state.active && mean >= p.enterPercent) return { active: true, sinceMs: nowMs };
  if (state.active && mean <= p.exitPercent && nowMs - state.sinceMs >= p.holdMs)
    return { active: false, sinceMs: nowMs };
  return state;
}

export function validateOverflow(p: OverflowParams): string | undefined {
  if (!(p.exitPercent >= 0 && p.exitPercent < p.enterPercent && p.enterPercent <= 100))
    return `overflow thresholds need 0 <= exit (${p.exitPercent}) < enter (${p.enterPercent}) <= 100`;
  if (!(p.holdMs >= 0)) return `overflow hold must be >= 0, got ${p.holdMs}`;
  return undefined;
}
