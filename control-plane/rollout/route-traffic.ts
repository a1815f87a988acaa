// A rollout's traffic as a ModelRoute document: the weights of stable and candidate (sharing
// what they had between them when the rollout started; other versions keep theirs) and the
// mirror to the candidate. Pure; the runner applies the result as a policy revision.
import type { ModelRoute } from '../policy/index.js';
import type { Traffic } from './machine.js';
import { PROMOTED, ROLLED_BACK, trafficOfStep } from './machine.js';
import type { RolloutState } from './state.js';

/** The traffic the route should carry in the rollout's current phase and step. */
export function desiredTraffic(state: RolloutState): Traffic {
  switch (state.phase) {
    case 'succeeded':
      return PROMOTED;
    case 'failed':
    case 'aborted':
      return ROLLED_BACK;
    default:
      return trafficOfStep(state.spec.steps[state.step]);
  }
}

export function candidateWeightOf(state: RolloutState, traffic: Traffic): number {
  return Math.round((state.share * traffic.candidateWeight) / 100);
}

/** Does the route carry this traffic already? */
export function carries(route: ModelRoute, state: RolloutState, traffic: Traffic): boolean {
  const w = (name: string) => route.spec.versions.find((v) => v.name === name)?.weight;
  const c = candidateWeightOf(state, traffic);
  const mirror = route.spec.mirror;
  const mirrorOk =
    traffic.mirrorPercent > 0
      ? mirror?.version === state.candidate && mirror.percent === traffic.mirrorPercent
      : mirror?.version !== state.candidate;
  return w(state.candidate) === c && w(state.stable) === state.share - c && mirrorOk;
}

/**
 * The route's document with the traffic applied. Only weights and the mirror change:
 * spec.rollout stays as written (it says how to roll out; the next start reads it again).
 */
export function withTraffic(
  route: ModelRoute,
  state: RolloutState,
  traffic: Traffic,
): Record<string, unknown> {
  const doc = structuredClone(route) as unknown as { spec: Record<string, unknown> } & Record<
    string,
    unknown
  >;
  const c = candidateWeightOf(state, traffic);
  doc.spec.versions = route.spec.versions.map((v) =>
    v.name === state.candidate
      ? { ...v, weight: c }
      : v.name === state.stable
        ? { ...v, weight: state.share - c }
        : { ...v },
  );
  if (traffic.mirrorPercent > 0)
    doc.spec.mirror = { version: state.candidate, percent: traffic.mirrorPercent };
  else if (route.spec.mirror?.version === state.candidate) delete doc.spec.mirror;
  return doc;
}
