import { describe, expect, it } from 'vitest';
import type { RolloutSpec } from '../policy/rollout.js';
import type { Verdict } from './analysis.js';
import { command, evaluate, startRollout, stepTimeLeftMs } from './machine.js';
import type { RolloutState } from './state.js';

const SPEC: RolloutSpec = {
  candidate: 'v2',
  stable: 'v1',
  steps: [
    { mirror: 20, for: '10s' },
    { weight: 5, for: '10s' },
    { weight: 50, for: '10s' },
  ],
  analysis: {
    minRequests: 10,
    errorRate: { max: 0.01 },
    failureLimit: 2,
    inconclusiveLimit: 3,
    interval: '1s',
  },
  onFailure: 'rollback',
};

const figures = { requests: 0, errors: 0, latencyBuckets: [] };
const verdict = (outcome: Verdict['outcome']): Verdict => ({
  outcome,
  gates: [{ gate: 'errorRate', outcome, detail: outcome }],
  candidate: figures,
  stable: figures,
});

function started(): RolloutState {
  return startRollout('default/fraud', 'fraud', SPEC, 'v1', 100, 0).state;
}

describe('the step machine', () => {
  it('starts at step 1 with its traffic and a reason naming the step', () => {
    const t = startRollout('default/fraud', 'fraud', SPEC, 'v1', 100, 1000);
    expect(t.traffic).toEqual({ candidateWeight: 0, mirrorPercent: 20 });
    expect(t.reason).toBe('rollout fraud v2: step 1/3, mirror 20 %');
    expect(t.state).toMatchObject({ phase: 'progressing', step: 0, stepStartedAtMs: 1000 });
  });

  it('goes through every step on passes, each after its time, then promotes', () => {
    let s = started();
    const reasons: string[] = [];
    for (let t = 1000; t <= 40_000; t += 1000) {
      const next = evaluate(SPEC, s, t, verdict('pass'));
      if (next.reason) reasons.push(`${t}: ${next.reason}`);
      s = next.state;
    }
    expect(reasons).toEqual([
      '10000: rollout fraud v2: step 2/3, 5 %',
      '20000: rollout fraud v2: step 3/3, 50 %',
      '30000: rollout fraud v2: promoted after 3 steps',
    ]);
    expect(s.phase).toBe('succeeded');
  });

  it('never promotes on inconclusive samples: the step runs over, then pauses', () => {
    let s = started();
    const changes: string[] = [];
    for (let t = 1000; t <= 20_000; t += 1000) {
      const next = evaluate(SPEC, s, t, verdict('inconclusive'));
      if (next.traffic) changes.push(next.reason ?? '');
      s = next.state;
    }
    expect(changes).toEqual([]);
    expect(s.phase).toBe('paused');
    expect(s.step).toBe(0);
    expect(s.pausedReason).toMatch(/^inconclusive for 4 evaluations past the step's time/);
  });

  it('advances a step whose time is up when its last decisive sample passed', () => {
    let s = evaluate(SPEC, started(), 5000, verdict('pass')).state;
    const t = evaluate(SPEC, s, 10_000, verdict('inconclusive'));
    expect(t.state.step).toBe(1);
    s = evaluate(SPEC, t.state, 20_000, verdict('inconclusive')).state;
    expect(s.step).toBe(1);
  });

  it('rolls back at once when failures reach failureLimit; a pass resets the count', () => {
    let s = started();
    s = evaluate(SPEC, s, 1000, verdict('fail')).state;
    expect(s.failures).toBe(1);
    s = evaluate(SPEC, s, 2000, verdict('pass')).state;
    expect(s.failures).toBe(0);
    s = evaluate(SPEC, s, 3000, verdict('fail')).state;
    const t = evaluate(SPEC, s, 4000, verdict('fail'));
    expect(t.traffic).toEqual({ candidateWeight: 0, mirrorPercent: 0 });
    expect(t.reason).toBe('rollout fraud v2: rolled back at step 1: errorRate fail');
    expect(t.state.phase).toBe('failed');
    expect(evaluate(SPEC, t.state, 5000, verdict('pass')).traffic).toBeUndefined();
  });

  it('pauses instead with onFailure pause, keeping the traffic', () => {
    const spec: RolloutSpec = { ...SPEC, onFailure: 'pause' };
    let s = evaluate(spec, started(), 1000, verdict('fail')).state;
    const t = evaluate(spec, s, 2000, verdict('fail'));
    expect(t.traffic).toBeUndefined();
    expect(t.state.phase).toBe('paused');
    s = command(spec, t.state, 'resume', 3000, 'alice')?.state as RolloutState;
    expect(s).toMatchObject({ phase: 'progressing', step: 0, stepStartedAtMs: 3000 });
    expect(stepTimeLeftMs(spec, s, 4000)).toBe(9000);
  });

  it('obeys commands only in phases where they mean something', () => {
    const s = started();
    expect(command(SPEC, s, 'resume', 1, 'a')).toBeUndefined();
    const paused = command(SPEC, s, 'pause', 1, 'alice')?.state as RolloutState;
    expect(paused.phase).toBe('paused');
    expect(evaluate(SPEC, paused, 50_000, verdict('pass')).state).toBe(paused);
    const promoted = command(SPEC, paused, 'promote', 2, 'alice');
    expect(promoted?.traffic).toEqual({ candidateWeight: 100, mirrorPercent: 0 });
    expect(promoted?.reason).toBe('rollout fraud v2: promoted by alice at step 1/3');
    expect(command(SPEC, promoted?.state as RolloutState, 'abort', 3, 'a')).toBeUndefined();
    const aborted = command(SPEC, s, 'abort', 3, 'bob');
    expect(aborted?.traffic).toEqual({ candidateWeight: 0, mirrorPercent: 0 });
    expect(aborted?.state.phase).toBe('aborted');
  });

  it('keeps one entry for a run of inconclusive samples in the history', () => {
    let s = started();
    for (let t = 1; t <= 5; t++) s = evaluate(SPEC, s, t, verdict('inconclusive')).state;
    expect(s.history.map((d) => d.outcome)).toEqual(['inconclusive', 'advance']);
    expect(s.generation).toBe(6);
  });
});
