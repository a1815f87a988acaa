// One tuning pass over a model version: the latency objective its endpoints are held to, then
// one tuner step (tuner.ts) for every endpoint with a heartbeat newer than its last step. Pure:
// it updates the pods' tuner state and says whether a published weight moved.
import { limitingUtilization, type PodRecords, type VersionEntry } from './records.js';
import { type LatencyObjective, peerReference, type TunerParams, tuneStep } from './tuner.js';

/** A model's latency objective in ms, when its policy sets one. */
export type ObjectiveOf = (model: string) => number | undefined;

/**
 * A policy objective is a p99 bound; without one, an endpoint is compared with its peers (the
 * lower median of the latencies of the version's HEALTHY endpoints that have evidence).
 */
function objectiveFor(
  key: string,
  v: VersionEntry,
  pods: PodRecords,
  objectiveOf: ObjectiveOf,
  p: TunerParams,
): { objective: LatencyObjective; idle: boolean } {
  let model: string | undefined;
  const p50s: number[] = [];
  const p99s: number[] = [];
  for (const podId of v.pods) {
    const rec = pods.get(podId)!;
    model ??= rec.info.versions.get(key)?.model;
    const load = rec.hb?.loads.get(key);
    if (rec.health === 'HEALTHY' && load && load.requests >= p.minRequests) {
      p50s.push(load.p50Ms);
      p99s.push(load.p99Ms);
    }
  }
  const policyObjective = model !== undefined ? objectiveOf(model) : undefined;
  const objective: LatencyObjective =
    policyObjective !== undefined
      ? { p99: policyObjective }
      : { ...optional('p50', peerReference(p50s)), ...optional('p99', peerReference(p99s)), peers: true };
  return { objective, idle: p50s.length === 0 };
}

/** Returns how many endpoints' published weights changed (the version must be republished). */
export function tuneVersion(
  key: string,
  v: VersionEntry,
  pods: PodRecords,
  objectiveOf: ObjectiveOf,
  p: TunerParams,
): number {
  const { objective, idle } = objectiveFor(key, v, pods, objectiveOf, p);
  let changed = 0;
  for (const podId of v.pods) {
    const rec = pods.get(podId)!;
    const load = rec.hb?.loads.get(key);
    const last = rec.tuned.get(key);
    if (!rec.hb || !load || (last && last.atMs >= rec.hbAtMs)) continue;
    // No endpoint of the version saw traffic: it is idle, not starved, so the tuner starts over
    // from the next sample and every weight returns to full (the state a restart starts from).
    const prev = idle ? undefined : last;
    const next = tuneStep(
      prev,
      {
        utilization: limitingUtilization(rec.hb, rec.info.versions.get(key)?.backend),
        queueDepth: load.queueDepth,
        p50Ms: load.p50Ms,
        p99Ms: load.p99Ms,
        errorRate: load.errorRate,
        requests: load.requests,
      },
      objective,
      rec.hbAtMs,
      p,
    );
    rec.tuned.set(key, next);
    // Untuned endpoints are published at maxWeight (published.ts): only a real change counts.
    if (next.weight !== (last?.weight ?? p.maxWeight)) changed++;
  }
  return changed;
}

function optional<K extends string>(key: K, value: number | undefined): { [k in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [k in K]?: number };
}
