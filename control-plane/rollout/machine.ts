// The step machine: state + time + verdict (or an operator's command) -> next state and the
// traffic the route should carry. Pure; the runner does the I/O. docs/ROLLOUTS.md describes the
// transitions.

import type { RolloutSpec, RolloutStep } from '../policy/rollout.js';
import { rolloutDurationMs } from '../policy/rollout.js';
import type { Verdict } from './analysis.js';
import { type Decision, type RolloutState, withDecision } from './state.js';

/** What the route should carry: the candidate's share of traffic, and of mirrored traffic. */
export interface Traffic {
  /** 0..100 of the traffic stable and candidate share. */
  readonly candidateWeight: number;
  /** 0..100 of stable's traffic copied to the candidate; 0: no mirror. */
  readonly mirrorPercent: number;
}

export interface Transition {
  readonly state: RolloutState;
  /** Present when the route's traffic must change; `reason` becomes the revision's reason. */
  readonly traffic?: Traffic;
  readonly reason?: string;
}

export type Command = 'promote' | 'abort' | 'pause' | 'resume';

export function trafficOfStep(step: RolloutStep | undefined): Traffic {
  return { candidateWeight: step?.weight ?? 0, mirrorPercent: step?.mirror ?? 0 };
}

export const PROMOTED: Traffic = { candidateWeight: 100, mirrorPercent: 0 };
export const ROLLED_BACK: Traffic = { candidateWeight: 0, mirrorPercent: 0 };

function describeStep(spec: RolloutSpec, model: string, index: number): string {
  const step = spec.steps[index];
  const share = step?.mirror !== undefined ? `mirror ${step.mirror} %` : `${step?.weight ?? 0} %`;
  return `rollout ${model} ${spec.candidate}: step ${index + 1}/${spec.steps.length}, ${share}`;
}

/** A new rollout at its first step. */
export function startRollout(
  route: string,
  model: string,
  spec: RolloutSpec,
  stable: string,
  share: number,
  nowMs: number,
): Transition {
  const reason = describeStep(spec, model, 0);
  const state: RolloutState = {
    route,
    model,
    candidate: spec.candidate,
    stable,
    spec,
    share,
    phase: 'progressing',
    step: 0,
    stepStartedAtMs: nowMs,
    startedAtMs: nowMs,
    failures: 0,
    overtime: 0,
    generation: 1,
    history: [{ atMs: nowMs, step: 0, outcome: 'advance', reason }],
  };
  return { state, traffic: trafficOfStep(spec.steps[0]), reason };
}

function record(state: RolloutState, d: Decision, patch: Partial<RolloutState>): RolloutState {
  return { ...state, ...patch, generation: state.generation + 1, history: withDecision(state, d) };
}

function fail(spec: RolloutSpec, state: RolloutState, nowMs: number, why: string, v: Verdict): Transition {
  const base = { atMs: nowMs, step: state.step, gates: v.gates, candidate: v.candidate, stable: v.stable };
  if (spec.onFailure === 'pause') {
    const reason = `rollout ${state.model} ${state.candidate}: paused at step ${state.step + 1}: ${why}`;
    return {
      state: record(
        state,
        { ...base, outcome: 'paused', reason },
        { phase: 'paused', pausedReason: why, failures: 0 },
      ),
    };
  }
  const reason = `rollout ${state.model} ${state.candidate}: rolled back at step ${state.step + 1}: ${why}`;
  return {
    state: record(state, { ...base, outcome: 'rolled-back', reason }, { phase: 'failed', pausedReason: why }),
    traffic: ROLLED_BACK,
    reason,
  };
}

function advance(spec: RolloutSpec, state: RolloutState, nowMs: number, v: Verdict): Transition {
  const next = state.step + 1;
  const figures = { gates: v.gates, candidate: v.candidate, stable: v.stable };
  if (next >= spec.steps.length) {
    const reason = `rollout ${state.model} ${state.candidate}: promoted after ${spec.steps.length} steps`;
    return {
      state: record(
        state,
        { atMs: nowMs, step: state.step, outcome: 'promoted', reason, ...figures },
        {
          phase: 'succeeded',
          step: next,
          stepStartedAtMs: nowMs,
          failures: 0,
          overtime: 0,
          lastDecisive: undefined,
        },
      ),
      traffic: PROMOTED,
      reason,
    };
  }
  const reason = describeStep(spec, state.model, next);
  return {
    state: record(
      state,
      { atMs: nowMs, step: next, outcome: 'advance', reason, ...figures },
      { step: next, stepStartedAtMs: nowMs, failures: 0, overtime: 0, lastDecisive: undefined },
    ),
    traffic: trafficOfStep(spec.steps[next]),
    reason,
  };
}

/** Milliseconds left in the current step (0 once its time is up). */
export function stepTimeLeftMs(spec: RolloutSpec, state: RolloutState, nowMs: number): number {
  const step = spec.steps[state.step];
  if (!step) return 0;
  return Math.max(0, state.stepStartedAtMs + rolloutDurationMs(step.for) - nowMs);
}

/**
 * One evaluation. A failing sample counts toward failureLimit (then rollback or pause); a step
 * whose time is up advances when its last decisive sample passed; without one (too little
 * traffic) it runs over, and after inconclusiveLimit evaluations over time it pauses.
 */
export function evaluate(spec: RolloutSpec, state: RolloutState, nowMs: number, v: Verdict): Transition {
  if (state.phase !== 'progressing') return { state };
  const a = spec.analysis;
  const figures = { gates: v.gates, candidate: v.candidate, stable: v.stable };
  if (v.outcome === 'fail') {
    const failures = state.failures + 1;
    const failed = v.gates.filter((g) => g.outcome === 'fail').map((g) => `${g.gate} ${g.detail}`);
    if (failures >= a.failureLimit) return fail(spec, state, nowMs, failed.join('; '), v);
    const reason = `failing sample ${failures}/${a.failureLimit}: ${failed.join('; ')}`;
    return {
      state: record(
        state,
        { atMs: nowMs, step: state.step, outcome: 'fail', reason, ...figures },
        { failures, lastDecisive: 'fail' },
      ),
    };
  }
  const timeUp = stepTimeLeftMs(spec, state, nowMs) === 0;
  if (v.outcome === 'pass') {
    const passed: RolloutState = { ...state, failures: 0, lastDecisive: 'pass' };
    if (timeUp) return advance(spec, passed, nowMs, v);
    return {
      state: record(
        passed,
        { atMs: nowMs, step: state.step, outcome: 'pass', reason: 'every gate passed', ...figures },
        {},
      ),
    };
  }
  // Inconclusive: a sample still filling up. A step whose time is up goes on only on a pass.
  if (timeUp && state.lastDecisive === 'pass') return advance(spec, state, nowMs, v);
  const overtime = timeUp ? state.overtime + 1 : state.overtime;
  const why = v.gates.find((g) => g.outcome === 'inconclusive')?.detail ?? 'inconclusive';
  if (timeUp && overtime > a.inconclusiveLimit) {
    const pausedReason = `inconclusive for ${overtime} evaluations past the step's time: ${why}`;
    const reason = `rollout ${state.model} ${state.candidate}: paused at step ${state.step + 1}: ${pausedReason}`;
    return {
      state: record(
        state,
        { atMs: nowMs, step: state.step, outcome: 'paused', reason, ...figures },
        { phase: 'paused', pausedReason, overtime },
      ),
    };
  }
  return {
    state: record(
      state,
      { atMs: nowMs, step: state.step, outcome: 'inconclusive', reason: why, ...figures },
      { overtime },
    ),
  };
}

/** An operator's command; `who` is recorded with it. Invalid in the current phase: undefined. */
export function command(
  spec: RolloutSpec,
  state: RolloutState,
  cmd: Command,
  nowMs: number,
  who: string,
): Transition | undefined {
  const at = { atMs: nowMs, step: state.step };
  const name = `rollout ${state.model} ${state.candidate}`;
  switch (cmd) {
    case 'promote': {
      if (state.phase !== 'progressing' && state.phase !== 'paused') return undefined;
      const reason = `${name}: promoted by ${who} at step ${state.step + 1}/${spec.steps.length}`;
      return {
        state: record(
          state,
          { ...at, outcome: 'promoted', reason },
          { phase: 'succeeded', step: spec.steps.length },
        ),
        traffic: PROMOTED,
        reason,
      };
    }
    case 'abort': {
      if (state.phase !== 'progressing' && state.phase !== 'paused') return undefined;
      const reason = `${name}: aborted by ${who} at step ${state.step + 1}/${spec.steps.length}`;
      return {
        state: record(state, { ...at, outcome: 'aborted', reason }, { phase: 'aborted' }),
        traffic: ROLLED_BACK,
        reason,
      };
    }
    case 'pause': {
      if (state.phase !== 'progressing') return undefined;
      const reason = `${name}: paused by ${who}`;
      return {
        state: record(state, { ...at, outcome: 'paused', reason }, { phase: 'paused', pausedReason: reason }),
      };
    }
    case 'resume': {
      if (state.phase !== 'paused') return undefined;
      const reason = `${name}: resumed by ${who} at step ${state.step + 1}/${spec.steps.length}`;
      // The step starts over: figures from before the pause say nothing about now.
      return {
        state: record(
          state,
          { ...at, outcome: 'resumed', reason },
          {
            phase: 'progressing',
            pausedReason: undefined,
            stepStartedAtMs: nowMs,
            failures: 0,
            overtime: 0,
            lastDecisive: undefined,
          },
        ),
        traffic: trafficOfStep(spec.steps[state.step]),
        reason,
      };
    }
  }
}
