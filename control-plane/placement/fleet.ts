// The managed pods as the placer sees them, kept from their registrations and heartbeats
// (dataplane.proto). Pure: time is passed in. A pod that stops talking for `ttlFactor` heartbeat
// intervals (at least `minTtlMs`) is gone: its replicas are placed elsewhere on the next run.
import {
  ExecutionProvider,
  type Heartbeat,
  ModelState,
  type PodRegistration,
  PodState,
} from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
import { type LoadedVersion, type ManagedPod, versionKey } from './types.js';

export interface FleetOptions {
  readonly ttlFactor: number;
  readonly minTtlMs: number;
}
export const DEFAULT_FLEET_OPTIONS: FleetOptions = { ttlFactor: 3, minTtlMs: 3000 };
/** How long a pod dropped for silence is remembered, so its next heartbeat brings it back. */
const DROPPED_KEEP_MS = 10 * 60_000;

/** What a version's replicas report, summed over the fleet: the scaling signal's input. */
export interface VersionStats {
  ready: number;
  utilizationSum: number;
  withUtilization: number;
  queueDepth: number;
  p99Ms?: number;
}

interface Entry {
  pod: ManagedPod;
  startedAtMs: bigint;
  lastSeenMs: number;
  intervalMs: number;
  queue: Map<string, { queueDepth: number; p99Ms: number }>;
}

const draining = (s: PodState) => s === PodState.DRAINING || s === PodState.REFUSING;

export class Fleet {
  private readonly pods = new Map<string, Entry>();
  /**
   * Pods dropped for silence, by id. A pod is silent to the control plane when either side's
   * event loop stalls (a loaded machine, a long synchronous step); it registered once and
   * heartbeats after that, so without its registration the heartbeats that follow would be
   * ignored for good. A heartbeat from one brings it back (heartbeat()).
   */
  private readonly dropped = new Map<string, Entry>();

  constructor(private readonly opts: FleetOptions = DEFAULT_FLEET_OPTIONS) {}

  /** Returns true when the pod is new (or restarted): it should get its assignments now. */
  register(reg: PodRegistration, nowMs: number): boolean {
    if (!reg.managed) {
      this.pods.delete(reg.podId);
      return false;
    }
    this.dropped.delete(reg.podId);
    const prev = this.pods.get(reg.podId);
    const loaded = new Map<string, LoadedVersion>();
    for (const m of reg.models) {
      if (m.state !== ModelState.READY && m.state !== ModelState.LOADING) continue;
      const key = versionKey(m.model, m.version);
      loaded.set(key, {
        ready: m.state === ModelState.READY,
        memoryBytes: prev?.pod.loaded.get(key)?.memoryBytes ?? 0,
      });
    }
    const gpu = reg.executionProvider === ExecutionProvider.GPU || reg.gpuSimulated;
    const pod: ManagedPod = {
      podId: reg.podId,
      region: reg.region,
      zone: reg.zone,
      device: gpu ? 'gpu' : 'cpu',
      memoryLimitBytes: reg.memoryLimitBytes > 0n ? Number(reg.memoryLimitBytes) : undefined,
      ...(reg.overcommitPercent > 0 && reg.memoryLimitBytes > 0n
        ? { overcommitPercent: reg.overcommitPercent }
        : {}),
      load: prev?.pod.load ?? 0,
      draining: draining(reg.state),
      loaded,
    };
    this.pods.set(reg.podId, {
      pod,
      startedAtMs: reg.startedAtMs,
      lastSeenMs: nowMs,
      intervalMs: reg.heartbeatIntervalMs || 1000,
      queue: prev?.queue ?? new Map(),
    });
    return !prev || prev.startedAtMs !== reg.startedAtMs;
  }

  /**
   * Returns false for a pod it does not know (not managed, or its registration was lost); a pod
   * dropped for silence is known again from its registration before.
   */
  heartbeat(hb: Heartbeat, nowMs: number): boolean {
    const e = this.pods.get(hb.podId) ?? this.dropped.get(hb.podId);
    if (!e) return false;
    this.dropped.delete(hb.podId);
    this.pods.set(hb.podId, e);
    const loaded = new Map<string, LoadedVersion>();
    const queue = new Map<string, { queueDepth: number; p99Ms: number }>();
    for (const m of hb.models) {
      const key = versionKey(m.model, m.version);
      loaded.set(key, { ready: m.ready, memoryBytes: Number(m.memoryBytes) });
      queue.set(key, { queueDepth: m.queueDepth, p99Ms: m.window?.p99Ms ?? 0 });
    }
    const u = hb.utilization;
    const load = Math.max(u?.cpuPercent ?? 0, u?.gpuPercent ?? 0) / 100;
    e.pod = { ...e.pod, loaded, load, draining: draining(hb.state) };
    e.queue = queue;
    e.lastSeenMs = nowMs;
    if (hb.intervalMs) e.intervalMs = hb.intervalMs;
    return true;
  }

  remove(podId: string): boolean {
    this.dropped.delete(podId);
    return this.pods.delete(podId);
  }

  markDraining(podId: string): boolean {
    const e = this.pods.get(podId);
    if (!e || e.pod.draining) return false;
    e.pod = { ...e.pod, draining: true };
    return true;
  }

  /** Drops pods silent for longer than their TTL; returns their ids. */
  expire(nowMs: number): string[] {
    const gone: string[] = [];
    for (const [id, e] of this.pods) {
      const ttl = Math.max(this.opts.minTtlMs, this.opts.ttlFactor * e.intervalMs);
      if (nowMs - e.lastSeenMs > ttl) gone.push(id);
    }
    for (const id of gone) {
      this.dropped.set(id, this.pods.get(id)!);
      this.pods.delete(id);
    }
    for (const [id, e] of this.dropped) if (nowMs - e.lastSeenMs > DROPPED_KEEP_MS) this.dropped.delete(id);
    return gone;
  }

  has(podId: string): boolean {
    return this.pods.has(podId);
  }

  /**
   * What of a pod changes placement's decisions and reports beyond the figures: whether it
   * drains, and which versions it holds ready. The runner reacts at once when this changes (a
   * version became READY, a pod started draining) and lets figure-only heartbeats coalesce.
   * Registrations and heartbeats list versions differently (a heartbeat also names failed ones,
   * not ready), so only ready ones count: the two agree on those.
   */
  shape(podId: string): string | undefined {
    const e = this.pods.get(podId);
    if (!e) return undefined;
    const ready = [...e.pod.loaded].filter(([, l]) => l.ready).map(([key]) => key);
    return `${e.pod.draining ? 'draining' : 'serving'};${ready.sort().join(',')}`;
  }

  list(): ManagedPod[] {
    return [...this.pods.values()].map((e) => e.pod);
  }

  /** Per version key: ready replicas, their utilization, queue and worst p99. */
  stats(): Map<string, VersionStats> {
    const out = new Map<string, VersionStats>();
    for (const e of this.pods.values()) {
      for (const [key, l] of e.pod.loaded) {
        if (!l.ready) continue;
        const s = out.get(key) ?? { ready: 0, utilizationSum: 0, withUtilization: 0, queueDepth: 0 };
        const q = e.queue.get(key);
        s.ready++;
        if (q) {
          s.utilizationSum += e.pod.load;
          s.withUtilization++;
          s.queueDepth += q.queueDepth;
          if (q.p99Ms > 0) s.p99Ms = Math.max(s.p99Ms ?? 0, q.p99Ms);
        }
        out.set(key, s);
      }
    }
    return out;
  }
}
