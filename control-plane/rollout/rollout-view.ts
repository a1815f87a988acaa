// What `rollout status` shows: the state plus what is derived from it (the step's traffic, the
// time left, the gates of the latest judged sample). Pure.
import type { GateResult } from './analysis.js';
import { stepTimeLeftMs } from './machine.js';
import type { StoredRollout } from './rollout-store.js';
import { candidateWeightOf, desiredTraffic } from './route-traffic.js';
import type { Decision, RolloutState } from './state.js';

export interface RolloutView {
  readonly route: string;
  readonly model: string;
  readonly candidate: string;
  readonly stable: string;
  readonly phase: RolloutState['phase'];
  /** 1-based, as people count; steps + 1 once promoted. */
  readonly step: number;
  readonly steps: number;
  readonly candidateWeight: number;
  readonly stableWeight: number;
  readonly mirrorPercent: number;
  readonly stepTimeLeftMs: number;
  readonly stepDurationMs: number;
  readonly pausedReason?: string;
  readonly failures: number;
  readonly failureLimit: number;
  /** The gates of the latest sample judged, with figures and thresholds. */
  readonly gates: readonly GateResult[];
  readonly history: readonly Decision[];
  readonly revision: number;
  readonly startedAt: string;
}

export function rolloutView(stored: StoredRollout, nowMs: number): RolloutView {
  const s = stored.state;
  const traffic = desiredTraffic(s);
  const c = candidateWeightOf(s, traffic);
  const step = s.spec.steps[s.step];
  const left = s.phase === 'progressing' ? stepTimeLeftMs(s.spec, s, nowMs) : 0;
  const total = step ? stepTimeLeftMs(s.spec, { ...s, stepStartedAtMs: 0 }, 0) : 0;
  return {
    route: s.route,
    model: s.model,
    candidate: s.candidate,
    stable: s.stable,
    phase: s.phase,
    step: s.step + 1,
    steps: s.spec.steps.length,
    candidateWeight: c,
    stableWeight: s.share - c,
    mirrorPercent: traffic.mirrorPercent,
    stepTimeLeftMs: left,
    stepDurationMs: total,
    ...(s.pausedReason ? { pausedReason: s.pausedReason } : {}),
    failures: s.failures,
    failureLimit: s.spec.analysis.failureLimit,
    gates: s.history.find((d) => d.gates && d.gates.length > 0)?.gates ?? [],
    history: s.history,
    revision: stored.revision,
    startedAt: new Date(s.startedAtMs).toISOString(),
  };
}
