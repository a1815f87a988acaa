// A rollout's state: what the controller persists (JetStream KV) after every decision, so the
// next lease holder continues from the same step. Plain JSON.
import type { RolloutSpec } from '../policy/rollout.js';
import type { GateResult, Outcome } from './analysis.js';
import type { VersionFigures } from './figures.js';

export type RolloutPhase = 'progressing' | 'paused' | 'succeeded' | 'failed' | 'aborted';

export interface Decision {
  readonly atMs: number;
  /** Step index (0-based) the decision was made in. */
  readonly step: number;
  readonly outcome:
    | Outcome
    | 'advance'
    | 'promoted'
    | 'rolled-back'
    | 'paused'
    | 'resumed'
    | 'aborted'
    | 'hook'
    | 'released';
  readonly reason: string;
  readonly gates?: readonly GateResult[];
  readonly candidate?: VersionFigures;
  readonly stable?: VersionFigures;
}

export interface RolloutState {
  /** Policy id `<namespace>/<name>` of the route. */
  readonly route: string;
  readonly model: string;
  readonly candidate: string;
  readonly stable: string;
  /** The route's rollout as it was when started (candidate as started): later edits do not move it. */
  readonly spec: RolloutSpec;
  /** Weight stable and candidate share between them (their sum when started; 100 if that was 0). */
  readonly share: number;
  readonly phase: RolloutPhase;
  /** Index into spec.rollout.steps; steps.length once every step passed. */
  readonly step: number;
  readonly stepStartedAtMs: number;
  readonly startedAtMs: number;
  /** Failing samples in a row (a pass resets it). */
  readonly failures: number;
  /** Inconclusive evaluations after the current step's time was up. */
  readonly overtime: number;
  /** The outcome of the last sample that reached minRequests in this step. */
  readonly lastDecisive?: 'pass' | 'fail';
  readonly pausedReason?: string;
  /** Set once the promotion hooks ran (the registry's stage change): a new leader does not repeat them. */
  readonly hooksDone?: boolean;
  /** Set once the old stable's replicas were released after promotion: never released twice. */
  readonly released?: boolean;
  /** Increases with every change; the KV record's own revision fences concurrent writers. */
  readonly generation: number;
  /** Most recent first, bounded (HISTORY_LIMIT). */
  readonly history: readonly Decision[];
}

export const HISTORY_LIMIT = 100;

export function withDecision(state: RolloutState, d: Decision): readonly Decision[] {
  // Inconclusive samples repeat every interval while traffic trickles in; keeping each would
  // push the decisions that matter out of the bounded history.
  const [last, ...rest] = state.history;
  if (last && d.outcome === 'inconclusive' && last.outcome === 'inconclusive' && last.step === d.step)
    return [d, ...rest];
  return [d, ...state.history].slice(0, HISTORY_LIMIT);
}

export function isActive(state: RolloutState): boolean {
  return state.phase === 'progressing' || state.phase === 'paused';
}
