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
// version keeps the very same array, which the translator memoizes on. The steps the table
// runs on its records live beside it: tune-version.ts (weights), version-overflow.ts (GPU
// overflow), published.ts (what goes to EDS) and status.ts (the operators' view).
import {
  type EndpointHealth,
  type EndpointInfo,
  type EndpointTable,
  endpointKey,
} from '../../translate/types.js';
import { addInterval, copyTotals, emptyTotals, type IntervalTotals, type VersionFigures } from './figures.js';
import { NO_OVERFLOW } from './overflow.js';
import { publishedEndpoints } from './published.js';
import type { PodRecord, VersionEntry } from './records.js';
import type { HeartbeatInfo, PodInfo } from './signals.js';
import { type EndpointStatus, endpointStatuses } from './status.js';
import { DEFAULT_TABLE_OPTIONS, type TableOptions } from './table-options.js';
import { type ObjectiveOf, tuneVersion } from './tune-version.js';
import { versionOverflow } from './version-overflow.js';

export type { EndpointStatus } from './status.js';
export { DEFAULT_TABLE_OPTIONS, type TableOptions, type WeightMode } from './table-options.js';

/** What a message led to; unknown-pod and unknown-revision ask the runner for an announce. */
export type Outcome = 'accepted' | 'stale' | 'unknown-pod' | 'unknown-revision';

export class EndpointTableState {
  private readonly pods = new Map<string, PodRecord>();
  private readonly versions = new Map<string, VersionEntry>();
  /** Interval counters of every accepted heartbeat, by version key; kept when pods leave. */
  private readonly totals = new Map<string, IntervalTotals>();
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
        else if (moved || old.backend !== v.backend || old.port !== v.port) this.touch(key);
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
    for (const [key, load] of hb.loads) {
      if (!load.interval) continue;
      const t = this.totals.get(key) ?? emptyTotals();
      this.totals.set(key, addInterval(t, load.interval));
    }
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
  tick(nowMs: number, objectiveOf: ObjectiveOf = () => undefined, tune = true): boolean {
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
      if (this.opts.weights === 'adaptive') {
        const moved = tuneVersion(key, v, this.pods, objectiveOf, this.opts.tuner);
        for (let i = 0; i < moved; i++) this.touch(key);
      }
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
      const list = publishedEndpoints(key, v, this.pods, this.opts);
      if (list.length) next.set(key, list);
    }
    this.routing = next;
    this.dirty = false;
    return next;
  }

  /** Every endpoint with its figures, for operators. */
  statuses(nowMs: number): Map<string, EndpointStatus[]> {
    return endpointStatuses(this.versions, this.pods, this.opts, this.frozen, nowMs);
  }

  /** Interval figures of one version across its pods (figures.ts); copies, safe to keep. */
  versionFigures(model: string, version: string): VersionFigures {
    const key = endpointKey(model, version);
    const last = emptyTotals();
    let pods = 0;
    for (const podId of this.versions.get(key)?.pods ?? []) {
      const interval = this.pods.get(podId)?.hb?.loads.get(key)?.interval;
      if (!interval) continue;
      pods++;
      addInterval(last, interval);
    }
    return { model, version, pods, last, total: copyTotals(this.totals.get(key) ?? emptyTotals()) };
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

  private updateOverflow(key: string, v: VersionEntry, nowMs: number): void {
    const next = versionOverflow(key, v, this.pods, nowMs, this.opts.overflow);
    if (!next) return;
    if (next.active !== v.overflow.active) {
      v.overflow = next;
      v.dirty = true;
      this.mark();
    } else v.overflow = next;
  }
}
