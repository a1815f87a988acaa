// GPU to CPU overflow for one model version (backend preference gpu-overflow-cpu). Pure.
// Utilizations and thresholds are fractions 0..1 (utilization.ts).
//
// Normally the GPU endpoints are priority 0 and the CPU ones priority 1, so both Envoy and
// gRPC send everything to the GPUs while any is reachable. Priority failover alone only reacts
// to failure, not to load, so the control plane adds the load part: when the GPU endpoints'
// mean utilization reaches `enterUtilization` the CPU endpoints are marked `overflow` and the
// translator moves them up to priority 0 next to the GPUs (their weights decide the split).
// They go back to priority 1 once the GPUs' mean utilization falls to `exitUtilization`, but not
// before `holdMs` has passed: the gap between the two thresholds and the hold keep a load that
// sits near the threshold from flapping the priorities.

import { type Utilization, utilization } from './utilization.js';

export interface OverflowParams {
  readonly enterUtilization: Utilization;
  readonly exitUtilization: Utilization;
  readonly holdMs: number;
}

export const DEFAULT_OVERFLOW: OverflowParams = {
  enterUtilization: utilization(0.8),
  exitUtilization: utilization(0.5),
  holdMs: 3000,
};

export interface OverflowState {
  readonly active: boolean;
  /** When `active` last changed. */
  readonly sinceMs: number;
}

export const NO_OVERFLOW: OverflowState = { active: false, sinceMs: 0 };

/** Far below any figure a pod reports (percent with a few decimals), far above float error. */
const EPSILON = 1e-9;

/**
 * The next state from the utilization of the version's healthy GPU endpoints. With
 * no GPU endpoint left there is nothing to overflow from: the translator already promotes the
 * CPU endpoints to priority 0 when priority 0 would be empty.
 */
export function nextOverflow(
  state: OverflowState,
  gpuUtilizations: readonly Utilization[],
  nowMs: number,
  p: OverflowParams,
): OverflowState {
  if (gpuUtilizations.length === 0) return state.active ? { active: false, sinceMs: nowMs } : state;
  const mean = gpuUtilizations.reduce((a, b) => a + b, 0) / gpuUtilizations.length;
  // Thresholds are inclusive. Fractions of whole percents do not add exactly (0.7 + 0.9 is
  // 1.5999999999999999), so a mean that lands on a threshold is compared within EPSILON.
  if (!state.active && mean >= p.enterUtilization - EPSILON) return { active: true, sinceMs: nowMs };
  if (state.active && mean <= p.exitUtilization + EPSILON && nowMs - state.sinceMs >= p.holdMs)
    return { active: false, sinceMs: nowMs };
  return state;
}

// Operators set the thresholds in percent (--overflow-enter), so the message speaks percent.
const percent = (u: number) => Math.round(u * 1e6) / 1e4;

export function validateOverflow(p: OverflowParams): string | undefined {
  const { enterUtilization: enter, exitUtilization: exit } = p;
  if (!(exit >= 0 && exit < enter && enter <= 1))
    return `overflow thresholds need 0 <= exit (${percent(exit)}) < enter (${percent(enter)}) <= 100`;
  if (!(p.holdMs >= 0)) return `overflow hold must be >= 0, got ${p.holdMs}`;
  return undefined;
}
