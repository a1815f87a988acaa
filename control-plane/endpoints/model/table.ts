// The endpoint table: which pods serve which model versions, how healthy and how loaded they
// are, and the routing table that goes to the translator. Pure: every method takes the time,
// nothing here touches NATS or timers (the runner does), so the state machine is tested with
// a fake clock.
//
//   registration ----------------------------> HEALTHY (DRAINING if the pod says so)
//   heartbeat / registration ----------------> HEALTHY, or DRAINING while the pod drains
//   drain notice ----------------------------> DRAINING (kept in EDS, no new traffic)
//   no message for misses x interval --------> UNHEALTHY (out of EDS)
//   no message for ttl ----------------------> removed
//   deregistration --------------------------> removed
//   frozen (NATS down) ----------------------> nothing ages; thaw() restarts every clock
//
// The routing table is rebuilt lazily and only for versions that changed: an unchanged
// version keeps the very same array, which the translator memoizes on.
import type { EndpointHealth, EndpointInfo, EndpointTable } from '../../translate/types.js';
import {
  DEFAULT_OVERFLOW,
  NO_OVERFLOW,
  nextOverflow,
  type OverflowParams,
  type OverflowState,
} from './overflow.js';
import type { HeartbeatInfo, PodInfo } from './signals.js';
import {
  DEFAULT_TUNER,
  type LatencyObjective,
  peerReference,
  type TunerParams,
  type TunerState,
  tuneStep,
} from './tuner.js';

export type WeightMode = 'adaptive' | 'equal';

export interface TableOptions {
  /** Missed heartbeat intervals before an endpoint is UNHEALTHY. */
  readonly unhealthyAfterMisses: number;
  /** Silence after which a pod is forgotten. */
  readonly ttlMs: number;
  /** For pods that do not say their heartbeat interval. */
  readonly defaultIntervalMs: number;
  /** adaptive: weights from the tuner; equal: no weights (plain round robin). */
  readonly weights: WeightMode;
  readonly tuner: TunerParams;
  readonly overflow: OverflowParams;
}

export const DEFAULT_TABLE_OPTIONS: TableOptions = {
  unhealthyAfterMisses: 3,
  ttlMs: 30_000,
  defaultIntervalMs: 1000,
  weights: 'adaptive',
  tuner: DEFAULT_TUNER,
  overflow: DEFAULT_OVERFLOW,
};

/** An endpoint as operators see it (`GET /api/v1/endpoints`), UNHEALTHY ones included. */
export interface EndpointStatus extends EndpointInfo {
  readonly model: string;
  readonly version: string;
  /** HEALTHY, UNHEALTHY or DRAINING; with " (frozen)" while NATS is down. */
  readonly state: string;
  /** 0..1: GPU utilization for GPU endpoints, else CPU. */
  readonly utilization?: number;
  readonly queue?: number;
  readonly p99Ms?: number;
  /** The weight in EDS now. */
  readonly effectiveWeight?: number;
  readonly lastSeenAgoMs: number;
}

/** What a message led to; unknown-pod and unknown-revision ask the runner for an announce. */
export type Outcome = 'accepted' | 'stale' | 'unknown-pod' | 'unknown-revision';

interface PodRecord {
  info: PodInfo;
  lastSeq: bigint;
  lastSeenMs: number;
  draining: boolean;
  health: EndpointHealth;
  hb?: HeartbeatInfo;
  hbAtMs: number;
  readonly tuned: Map<string, TunerState>;
}

interface VersionEntry {
  readonly pods: Set<string>;
  overflow: OverflowState;
  dirty: boolean;
  tune: boolean;
}

export class EndpointTableState {
  private readonly pods = new Map<string, PodRecord>();
  private readonly versions = new Map<string, VersionEntry>();
  private routing = new Map<string, readonly EndpointInfo[]>();
  private dirty = false;
  private changeCount = 0;
  private frozenSince: number | undefined;
  readonly opts: TableOptions;

  constructor(opts: Partial<TableOptions> = {}) {
    this.opts = { ...DEFAULT_TABLE_OPTIONS, ...opts };
  }

  get size(): number {
    return this.pods.size;
  }

  get frozen(): boolean {
    return this.frozenSince !== undefined;
  }

  /** True when the routing table changed since the last routingTable(). */
  get changed(): boolean {
    return this.dirty;
  }

  /** Grows by one for every change to the routing table (for coalescing and its metric). */
  get changes(): number {
    return this.changeCount;
  }

  /** Endpoints (pod x version) by state, for the gauge. */
  stateCounts(): Record<string, number> {
    const out: Record<string, number> = { HEALTHY: 0, UNHEALTHY: 0, DRAINING: 0 };
    for (const rec of this.pods.values()) out[rec.health] = (out[rec.health] ?? 0) + rec.info.versions.size;
    return out;
  }

  has(podId: string): boolean {
    return this.pods.has(podId);
  }

  /** Returns false for a registration older than what the pod already said. */
  register(info: PodInfo, nowMs: number): boolean {
    const rec = this.pods.get(info.podId);
    if (rec) {
      // A new incarnation (same id, new start time) restarts the sequence.
      if (rec.info.startedAtMs === info.startedAtMs && info.sequence <= rec.lastSeq) return false;
      const moved =
        rec.info.address !== info.address ||
        rec.info.port !== info.port ||
        rec.info.httpPort !== info.httpPort;
      const before = rec.info.versions;
      rec.info = info;
      rec.lastSeq = info.sequence;
      this.seen(rec, nowMs, info.draining);
      for (const key of before.keys()) if (!info.versions.has(key)) this.leave(key, info.podId);
      for (const [key, v] of info.versions) {
        const old = before.get(key);
        if (!old) this.join(key, info.podId);
        else if (moved || old.backend !== v.backend) this.touch(key);
      }
      for (const key of rec.tuned.keys()) if (!info.versions.has(key)) rec.tuned.delete(key);
      return true;
    }
    const fresh: PodRecord = {
      info,
      lastSeq: info.sequence,
      lastSeenMs: nowMs,
      draining: info.draining,
      health: info.draining ? 'DRAINING' : 'HEALTHY',
      hbAtMs: 0,
      tuned: new Map(),
    };
    this.pods.set(info.podId, fresh);
    for (const key of info.versions.keys()) this.join(key, info.podId);
    return true;
  }

  heartbeat(hb: HeartbeatInfo, nowMs: number): Outcome {
    const rec = this.pods.get(hb.podId);
    if (!rec) return 'unknown-pod';
    if (hb.sequence <= rec.lastSeq) return 'stale';
    rec.lastSeq = hb.sequence;
    rec.hb = hb;
    rec.hbAtMs = nowMs;
    this.seen(rec, nowMs, hb.draining);
    for (const key of rec.info.versions.keys()) {
      const v = this.versions.get(key);
      if (v) v.tune = true;
    }
    return hb.revision === rec.info.revision ? 'accepted' : 'unknown-revision';
  }

  /** Any drain phase: the pod takes no new traffic from now on. */
  drain(podId: string, sequence: bigint, nowMs: number): Outcome {
    const rec = this.pods.get(podId);
    if (!rec) return 'unknown-pod';
    if (sequence <= rec.lastSeq) return 'stale';
    rec.lastSeq = sequence;
    this.seen(rec, nowMs, true);
    return 'accepted';
  }

  deregister(podId: string, sequence: bigint): Outcome {
    const rec = this.pods.get(podId);
    if (!rec) return 'unknown-pod';
    if (sequence <= rec.lastSeq) return 'stale';
    this.remove(rec);
    return 'accepted';
  }

  /** NATS is down: silence means nothing, so nothing ages until thaw(). */
  freeze(nowMs: number): void {
    this.frozenSince ??= nowMs;
  }

  /** NATS is back: every pod gets a fresh set of intervals to be heard again. */
  thaw(nowMs: number): void {
    if (this.frozenSince === undefined) return;
    this.frozenSince = undefined;
    for (const rec of this.pods.values()) rec.lastSeenMs = Math.max(rec.lastSeenMs, nowMs);
  }

  /**
   * Ages the pods and, with `tune`, re-tunes the weights and the overflow of the versions that
   * got heartbeats since. `objectiveOf(model)` is the model's latency objective in ms, when its
   * policy sets one. Returns true when the routing table changed.
   */
  tick(
    nowMs: number,
    objectiveOf: (model: string) => number | undefined = () => undefined,
    tune = true,
  ): boolean {
    if (this.frozenSince === undefined) {
      for (const rec of this.pods.values()) {
        const silentMs = nowMs - rec.lastSeenMs;
        if (silentMs > this.opts.ttlMs) {
          this.remove(rec);
          continue;
        }
        const interval = rec.info.intervalMs || this.opts.defaultIntervalMs;
        if (silentMs > this.opts.unhealthyAfterMisses * interval && rec.health !== 'UNHEALTHY')
          this.setHealth(rec, 'UNHEALTHY');
      }
    }
    if (!tune) return this.dirty;
    for (const [key, v] of this.versions) {
      if (!v.tune) continue;
      v.tune = false;
      this.tuneVersion(key, v, objectiveOf);
      this.updateOverflow(key, v, nowMs);
    }
    return this.dirty;
  }

  /** The table for the translator; versions that did not change keep their arrays. */
  routingTable(): EndpointTable {
    if (!this.dirty) return this.routing;
    const next = new Map<string, readonly EndpointInfo[]>();
    for (const [key, v] of this.versions) {
      const old = this.routing.get(key);
      if (!v.dirty && old) {
        next.set(key, old);
        continue;
      }
      v.dirty = false;
      const list = this.publishedEndpoints(key, v);
      if (list.length) next.set(key, list);
    }
    this.routing = next;
    this.dirty = false;
    return next;
  }

  /** Every endpoint with its figures, for operators. */
  statuses(nowMs: number): Map<string, EndpointStatus[]> {
    const out = new Map<string, EndpointStatus[]>();
    const suffix = this.frozen ? ' (frozen)' : '';
    for (const [key, v] of this.versions) {
      const rows: EndpointStatus[] = [];
      for (const podId of [...v.pods].sort()) {
        const rec = this.pods.get(podId)!;
        const served = rec.info.versions.get(key)!;
        const load = rec.hb?.loads.get(key);
        const utilization = served.backend === 'gpu' ? (rec.hb?.gpu ?? rec.hb?.cpu) : rec.hb?.cpu;
        const weight = this.weightOf(rec, key);
        rows.push({
          ...this.endpointOf(rec, key, v),
          model: served.model,
          version: served.version,
          state: `${rec.health}${suffix}`,
          ...(utilization !== undefined ? { utilization } : {}),
          ...(load ? { queue: load.queueDepth, p99Ms: load.p99Ms } : {}),
          effectiveWeight: rec.health === 'UNHEALTHY' ? 0 : (weight ?? 1),
          lastSeenAgoMs: Math.max(0, nowMs - rec.lastSeenMs),
        });
      }
      if (rows.length) out.set(key, rows);
    }
    return out;
  }

  private seen(rec: PodRecord, nowMs: number, draining: boolean): void {
    rec.lastSeenMs = Math.max(rec.lastSeenMs, nowMs);
    rec.draining = draining;
    this.setHealth(rec, draining ? 'DRAINING' : 'HEALTHY');
  }

  private setHealth(rec: PodRecord, health: EndpointHealth): void {
    if (rec.health === health) return;
    rec.health = health;
    for (const key of rec.info.versions.keys()) this.touch(key);
  }

  private touch(key: string): void {
    const v = this.versions.get(key);
    if (!v) return;
    v.dirty = true;
    this.mark();
  }

  private mark(): void {
    this.dirty = true;
    this.changeCount++;
  }

  private join(key: string, podId: string): void {
    let v = this.versions.get(key);
    if (!v) {
      v = { pods: new Set(), overflow: NO_OVERFLOW, dirty: true, tune: false };
      this.versions.set(key, v);
    }
    v.pods.add(podId);
    this.touch(key);
  }

  private leave(key: string, podId: string): void {
    const v = this.versions.get(key);
    if (!v) return;
    v.pods.delete(podId);
    this.touch(key);
    if (v.pods.size === 0) {
      this.versions.delete(key);
      this.mark();
    }
  }

  private remove(rec: PodRecord): void {
    this.pods.delete(rec.info.podId);
    for (const key of rec.info.versions.keys()) this.leave(key, rec.info.podId);
  }

  private tuneVersion(
    key: string,
    v: VersionEntry,
    objectiveOf: (model: string) => number | undefined,
  ): void {
    if (this.opts.weights !== 'adaptive') return;
    const p = this.opts.tuner;
    let model: string | undefined;
    const p50s: number[] = [];
    const p99s: number[] = [];
    for (const podId of v.pods) {
      const rec = this.pods.get(podId)!;
      model ??= rec.info.versions.get(key)?.model;
      const load = rec.hb?.loads.get(key);
      if (rec.health === 'HEALTHY' && load && load.requests >= p.minRequests) {
        p50s.push(load.p50Ms);
        p99s.push(load.p99Ms);
      }
    }
    // A policy objective is a p99 bound; without one, an endpoint is compared with its peers.
    const policyObjective = model !== undefined ? objectiveOf(model) : undefined;
    const objective: LatencyObjective =
      policyObjective !== undefined
        ? { p99: policyObjective }
        : { ...optional('p50', peerReference(p50s)), ...optional('p99', peerReference(p99s)), peers: true };
    // No endpoint of the version saw traffic: it is idle, not starved, so the tuner starts over
    // from the next sample and every weight returns to full (the state a restart starts from).
    const idle = p50s.length === 0;
    for (const podId of v.pods) {
      const rec = this.pods.get(podId)!;
      const load = rec.hb?.loads.get(key);
      const last = rec.tuned.get(key);
      if (!rec.hb || !load || (last && last.atMs >= rec.hbAtMs)) continue;
      const prev = idle ? undefined : last;
      const backend = rec.info.versions.get(key)?.backend;
      const utilization = backend === 'gpu' ? (rec.hb.gpu ?? rec.hb.cpu) : rec.hb.cpu;
      const next = tuneStep(
        prev,
        {
          utilization,
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
      // Untuned endpoints are published at maxWeight (weightOf): only a real change counts.
      if (next.weight !== (last?.weight ?? p.maxWeight)) this.touch(key);
    }
  }

  private updateOverflow(key: string, v: VersionEntry, nowMs: number): void {
    const gpu: number[] = [];
    let cpu = 0;
    for (const podId of v.pods) {
      const rec = this.pods.get(podId)!;
      if (rec.health !== 'HEALTHY') continue;
      if (rec.info.versions.get(key)?.backend === 'gpu') gpu.push(100 * (rec.hb?.gpu ?? 0));
      else cpu++;
    }
    if (cpu === 0 && !v.overflow.active) return;
    const next = nextOverflow(v.overflow, gpu, nowMs, this.opts.overflow);
    if (next.active !== v.overflow.active) {
      v.overflow = next;
      v.dirty = true;
      this.mark();
    } else v.overflow = next;
  }

  private weightOf(rec: PodRecord, key: string): number | undefined {
    if (this.opts.weights !== 'adaptive') return undefined;
    return rec.tuned.get(key)?.weight ?? this.opts.tuner.maxWeight;
  }

  private endpointOf(rec: PodRecord, key: string, v: VersionEntry): EndpointInfo {
    const { info } = rec;
    const backend = info.versions.get(key)!.backend;
    const weight = this.weightOf(rec, key);
    return {
      address: info.address,
      port: info.port,
      ...(info.httpPort !== undefined ? { httpPort: info.httpPort } : {}),
      ...(info.region ? { region: info.region } : {}),
      ...(info.zone ? { zone: info.zone } : {}),
      health: rec.health,
      ...(weight !== undefined ? { weight } : {}),
      backend,
      podId: info.podId,
      ...(info.tls ? { tls: true } : {}),
      ...(backend === 'cpu' && v.overflow.active ? { overflow: true } : {}),
    };
  }

  private publishedEndpoints(key: string, v: VersionEntry): EndpointInfo[] {
    const out: EndpointInfo[] = [];
    for (const podId of [...v.pods].sort()) {
      const rec = this.pods.get(podId)!;
      // Like Istio, unhealthy endpoints are not sent at all: Envoy's panic mode would
      // otherwise route to them once too few hosts are healthy.
      if (rec.health === 'UNHEALTHY') continue;
      out.push(this.endpointOf(rec, key, v));
    }
    return out;
  }
}

function optional<K extends string>(key: K, value: number | undefined): { [k in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [k in K]?: number };
}
