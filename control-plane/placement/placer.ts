// The placer: which managed pod holds which registry version. Pure and deterministic: the same
// input gives the same assignments, so two leaders in turn publish the same thing. The rules
// (docs/PLACEMENT.md): keep every replica that still fits (stability); drop replicas on pods
// that left, drain, or no longer match region or device; then, versions with the largest
// memory first, place up to `min` replicas for every version before going up to the scaling
// signal's count, each time on the pod that spreads the version over zones best, then the
// least filled, then the idlest. What cannot be placed is reported with a reason per pod.
import { estimateBytes, formatBytes, measuredByVersion } from './memory.js';
import type {
  DemandedVersion,
  ManagedPod,
  PlacementInput,
  PlacementResult,
  UnplacedReason,
  VersionPlacement,
} from './types.js';

interface PodState {
  readonly pod: ManagedPod;
  readonly held: Set<string>;
  used: number;
}

type Why = { readonly kind: UnplacedReason | 'held'; readonly text: string };

function clamp(v: DemandedVersion): number {
  return Math.min(v.max, Math.max(v.min, v.desired));
}

/** Why `pod` cannot take a replica of `v`, or undefined when it can. */
function refusal(s: PodState, v: DemandedVersion, bytes: number): Why | undefined {
  const { pod } = s;
  if (s.held.has(v.key)) return { kind: 'held', text: 'already holds a replica' };
  const fixed = staticRefusal(pod, v);
  if (fixed) return fixed;
  const bound = assignable(pod);
  if (bound !== undefined && s.used + bytes > bound)
    return {
      kind: 'memory',
      text:
        `memory ${formatBytes(bytes)} > free ${formatBytes(Math.max(0, bound - s.used))}` +
        (pod.overcommitPercent
          ? ` (limit ${formatBytes(pod.memoryLimitBytes!)} + ${pod.overcommitPercent}% overcommit)`
          : ''),
    };
  return undefined;
}

/** What may be assigned to the pod: its memory limit, plus its overcommit when it has one. */
export function assignable(pod: ManagedPod): number | undefined {
  if (pod.memoryLimitBytes === undefined) return undefined;
  return Math.floor((pod.memoryLimitBytes * (100 + (pod.overcommitPercent ?? 0))) / 100);
}

/** What no amount of freeing memory changes: draining, region, device. */
function staticRefusal(pod: ManagedPod, v: DemandedVersion): Why | undefined {
  if (pod.draining) return { kind: 'draining', text: 'pod is draining' };
  if (v.regions.length > 0 && !v.regions.includes(pod.region))
    return { kind: 'region', text: `region ${pod.region || '(none)'} not in [${v.regions.join(', ')}]` };
  if (v.device !== 'any' && v.device !== pod.device)
    return { kind: 'device', text: `device ${pod.device}, version needs ${v.device}` };
  return undefined;
}

function zoneCounts(states: Iterable<PodState>, key: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of states) if (s.held.has(key)) out.set(s.pod.zone, (out.get(s.pod.zone) ?? 0) + 1);
  return out;
}

function fill(s: PodState): number {
  const bound = assignable(s.pod);
  return bound ? s.used / bound : 0;
}

/** Orders candidates: fewest replicas of the version in its zone, least filled, idlest, id. */
function better(a: PodState, b: PodState, zones: Map<string, number>): boolean {
  const za = zones.get(a.pod.zone) ?? 0;
  const zb = zones.get(b.pod.zone) ?? 0;
  if (za !== zb) return za < zb;
  const fa = fill(a);
  const fb = fill(b);
  if (fa !== fb) return fa < fb;
  if (a.pod.load !== b.pod.load) return a.pod.load < b.pod.load;
  return a.pod.podId < b.pod.podId;
}

export function place(input: PlacementInput): PlacementResult {
  const demanded = new Map(input.versions.map((v) => [v.key, v]));
  const measured = measuredByVersion(input.pods);
  const states = [...input.pods]
    .sort((a, b) => (a.podId < b.podId ? -1 : a.podId > b.podId ? 1 : 0))
    .map((pod): PodState => ({ pod, held: new Set(), used: 0 }));
  const bytesOn = (s: PodState, key: string) => estimateBytes(key, s.pod, measured, demanded.get(key));
  // What taking `key` adds: nothing when the pod holds it already (it is counted in `used`).
  const needOn = (s: PodState, key: string) => (s.pod.loaded.has(key) ? 0 : bytesOn(s, key));

  // Keep what still fits; memory counts everything the pod holds now and everything kept.
  for (const s of states) {
    for (const key of input.current.get(s.pod.podId) ?? []) {
      const v = demanded.get(key);
      if (v && !staticRefusal(s.pod, v)) s.held.add(key);
    }
    for (const key of new Set([...s.held, ...s.pod.loaded.keys()])) s.used += bytesOn(s, key);
  }

  const order = [...demanded.values()].sort((a, b) => {
    const d = estimateBytes(b.key, undefined, measured, b) - estimateBytes(a.key, undefined, measured, a);
    return d !== 0 ? d : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  });
  for (const v of order) shrink(states, v, clamp(v), needOn);
  for (const target of [(v: DemandedVersion) => Math.min(v.min, clamp(v)), clamp])
    for (const v of order) grow(states, v, target(v), needOn);

  const versions = order
    .map((v) => report(states, v, needOn))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const assignments = new Map(states.map((s) => [s.pod.podId, [...s.held].sort()]));
  return { assignments, versions };
}

type BytesOn = (s: PodState, key: string) => number;

function holders(states: readonly PodState[], key: string): PodState[] {
  return states.filter((s) => s.held.has(key));
}

/** Scale down: leave the most crowded zone first, a replica not ready yet before a ready one. */
function shrink(states: readonly PodState[], v: DemandedVersion, target: number, bytesOn: BytesOn) {
  let held = holders(states, v.key);
  while (held.length > target) {
    const zones = zoneCounts(held, v.key);
    const rank = (s: PodState) => [
      zones.get(s.pod.zone) ?? 0,
      s.pod.loaded.get(v.key)?.ready ? 0 : 1,
      fill(s),
    ];
    const victim = held.reduce((worst, s) => {
      const a = rank(s);
      const b = rank(worst);
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! > b[i]! ? s : worst;
      return s.pod.podId > worst.pod.podId ? s : worst;
    });
    victim.held.delete(v.key);
    victim.used -= bytesOn(victim, v.key);
    held = held.filter((s) => s !== victim);
  }
}

function grow(states: readonly PodState[], v: DemandedVersion, target: number, bytesOn: BytesOn) {
  let count = holders(states, v.key).length;
  while (count < target) {
    const zones = zoneCounts(states, v.key);
    let best: PodState | undefined;
    for (const s of states) {
      if (refusal(s, v, bytesOn(s, v.key))) continue;
      if (!best || better(s, best, zones)) best = s;
    }
    if (!best) return;
    best.held.add(v.key);
    best.used += bytesOn(best, v.key);
    count++;
  }
}

function report(states: readonly PodState[], v: DemandedVersion, bytesOn: BytesOn): VersionPlacement {
  const target = clamp(v);
  const held = holders(states, v.key);
  const assigned = held.map((s) => s.pod.podId);
  const ready = held.filter((s) => s.pod.loaded.get(v.key)?.ready).map((s) => s.pod.podId);
  const base = {
    key: v.key,
    model: v.model,
    version: v.version,
    desiredReplicas: target,
    min: v.min,
    max: v.max,
    assigned,
    ready,
  };
  if (held.length >= target) return base;
  const pods: Record<string, string> = {};
  const kinds = new Set<UnplacedReason>();
  for (const s of states) {
    const why = refusal(s, v, bytesOn(s, v.key));
    if (!why || why.kind === 'held') continue;
    pods[s.pod.podId] = why.text;
    kinds.add(why.kind);
  }
  const reason: UnplacedReason =
    states.length === 0
      ? 'no-managed-pods'
      : kinds.size === 1
        ? [...kinds][0]!
        : kinds.size === 0
          ? 'too-few-pods'
          : 'mixed';
  const missing = target - held.length;
  const message =
    states.length === 0
      ? `${missing} replica(s) unplaced: no managed pod is registered`
      : `${held.length} of ${target} replica(s) placed; ${states.length} managed pod(s), none other fits`;
  return { ...base, unplaced: { reason, missing, message, pods } };
}
