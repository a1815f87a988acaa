// The placement runner: keeps the managed fleet from the pods' NATS messages and the catalog
// from KV, and, on the replica holding the lease (or alone, without one), recomputes placement
// after every change (debounced), publishes each pod's PodAssignments on change, every
// `republishMs` and when the pod registers, and writes the placement records, fenced.
// docs/PLACEMENT.md. What is decided is pure (demand.ts, placer.ts); this is the I/O around it.

import { toBinary } from '@bufbuild/protobuf';
import type { KV } from '@nats-io/kv';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Registry } from 'prom-client';
import { allPods, decodePodBody, podSubjects } from '../../kernel/contract/index.js';
import type { Logger } from '../../kernel/log/index.js';
import { Debouncer } from '../../kernel/runtime/debounce.js';
import { PodAssignmentsSchema } from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
import type { ModelRoute } from '../policy/index.js';
import { KvWatch } from '../store/kv-watch.js';
import { storeNames } from '../store/store-names.js';
import { AssignmentBook, assignmentsMessage } from './assignments.js';
import { type CatalogView, readCatalogRecord } from './catalog-view.js';
import { demandOf } from './demand.js';
import { DEFAULT_FLEET_OPTIONS, Fleet, type FleetOptions } from './fleet.js';
import { PlacementMetrics } from './placement-metrics.js';
import { type Fence, openKv, type PlacementRecord, PlacementStore } from './placement-store.js';
import { place } from './placer.js';
import type { ScalingDecision } from './scaling.js';
import type { VersionPlacement } from './types.js';

/** How often to look for the catalog bucket until the registry has created it. */
const CATALOG_RETRY_MS = 2000;
/**
 * Events that change what is placed or where (a version became placeable, a route, a pod
 * arriving, leaving, draining, or reporting a version READY) run placement after this much quiet
 * (at most URGENT_MAX_MS after the first): only a burst in one moment is coalesced. Heartbeats
 * that only move the figures wait for the ordinary debounce, which a fleet's heartbeats keep
 * from going quiet until its 2 s bound: an event queued behind them would wait up to 2 s
 * (docs/PLACEMENT.md, "Timing").
 */
const URGENT_QUIET_MS = 5;
const URGENT_MAX_MS = 50;

export interface PlacementRunnerOptions {
  readonly nc: NatsConnection;
  readonly log: Logger;
  readonly storePrefix?: string;
  /** JetStream replicas of the placement bucket (the store's --store-replicas). */
  readonly storeReplicas?: number;
  /** The leader lease; without one this process places alone. */
  readonly lease?: Fence;
  readonly registry?: Registry;
  readonly debounceMs?: number;
  readonly republishMs?: number;
  /** How often pods' expiry and the lease are looked at. */
  readonly tickMs?: number;
  readonly fleet?: FleetOptions;
}

export interface PlacementView {
  readonly leader: boolean;
  readonly versions: readonly VersionPlacement[];
  readonly scaling: Readonly<Record<string, ScalingDecision>>;
  readonly assignments: Readonly<Record<string, readonly string[]>>;
}

export class PlacementRunner {
  private readonly fleet: Fleet;
  private readonly book = new AssignmentBook();
  private readonly catalog = new Map<string, CatalogView>();
  private readonly subs: Subscription[] = [];
  private readonly debounce: Debouncer;
  private readonly urgent: Debouncer;
  private readonly metrics: PlacementMetrics | undefined;
  private routes: readonly ModelRoute[] = [];
  private current = new Map<string, ReadonlySet<string>>();
  private latest: PlacementView = { leader: false, versions: [], scaling: {}, assignments: {} };
  private store: PlacementStore | undefined;
  private models: KV | undefined;
  private catalogWatch: KvWatch | undefined;
  private catalogTriedAt = 0;
  private leading = false;
  /** This term's starting point has been read: runs before it would move replicas. */
  private tookOver = false;
  /** The last take-over could not read the records: the next tick tries again. */
  private takeOverFailed = false;
  private running: Promise<void> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  /** Grows by one per completed placement run (tests wait on it). */
  runs = 0;

  constructor(private readonly o: PlacementRunnerOptions) {
    this.fleet = new Fleet(o.fleet ?? DEFAULT_FLEET_OPTIONS);
    const quietMs = o.debounceMs ?? 100;
    this.debounce = new Debouncer({ quietMs, maxMs: Math.max(2000, quietMs), run: () => this.schedule() });
    this.urgent = new Debouncer({
      quietMs: URGENT_QUIET_MS,
      maxMs: URGENT_MAX_MS,
      run: () => this.debounce.flush(),
    });
    this.metrics = o.registry ? new PlacementMetrics(o.registry) : undefined;
  }

  async start(): Promise<void> {
    const names = storeNames(this.o.storePrefix);
    this.store = new PlacementStore(
      (await openKv(this.o.nc, names.bucket('placement'), true, this.o.storeReplicas ?? 1))!,
    );
    await this.tryCatalog();
    this.subscribe();
    this.timers.push(setInterval(() => this.tick(), this.o.tickMs ?? 500));
    this.timers.push(setInterval(() => this.republish(), this.o.republishMs ?? 5000));
    this.tick();
  }

  setRoutes(routes: readonly ModelRoute[]): void {
    this.routes = routes;
    this.soon();
  }

  /** A change placement acts on at once (see URGENT_QUIET_MS). */
  private soon(): void {
    this.debounce.trigger();
    this.urgent.trigger();
  }

  snapshot(): PlacementView {
    return this.latest;
  }

  /** For the API on any replica: the leader's own view, a follower's read of the records. */
  async view(): Promise<PlacementView | { leader: false; versions: (PlacementRecord & { key: string })[] }> {
    if (this.leading) return this.latest;
    const records = await this.store!.list();
    return { leader: false, versions: [...records].map(([key, r]) => ({ key, ...r })) };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.catalogWatch?.stop();
    for (const t of this.timers) clearInterval(t);
    this.debounce.close();
    this.urgent.close();
    for (const s of this.subs) s.unsubscribe();
    await this.running;
  }

  /** openCatalog; one that cannot be read yet is tried again by the tick, as one that is missing. */
  private tryCatalog(): Promise<void> {
    return this.openCatalog().catch((err) =>
      this.o.log.warn('placement: catalog unreadable', { error: (err as Error).message }),
    );
  }

  private async openCatalog(): Promise<void> {
    // The registry creates the catalog; until it exists there is nothing to place.
    this.catalogTriedAt = Date.now();
    const models = await openKv(this.o.nc, storeNames(this.o.storePrefix).bucket('models'), false);
    if (!models) return;
    // Guarded (kv-watch.ts): a watch whose NATS node died would not see new versions to place
    // until nats.js noticed, up to a minute.
    const watch = new KvWatch({
      kv: models,
      what: 'model catalog',
      log: this.o.log,
      onEntry: (e) => {
        if (this.stopped) return;
        const view = e.operation === 'PUT' ? readCatalogRecord(e.value) : undefined;
        if (view) this.catalog.set(e.key, view);
        else this.catalog.delete(e.key);
        this.soon();
      },
    });
    try {
      await watch.start();
    } catch (err) {
      watch.stop();
      if (/not found|10059/i.test(String((err as Error).message))) return;
      throw err;
    }
    if (this.stopped) return watch.stop();
    this.models = models;
    this.catalogWatch = watch;
  }

  private subscribe(): void {
    const now = () => Date.now();
    const on = (kind: 'register' | 'heartbeat' | 'drain' | 'deregister', fn: (data: Uint8Array) => void) =>
      this.subs.push(
        this.o.nc.subscribe(allPods(kind), {
          callback: (err, msg) => {
            if (err || this.stopped) return;
            try {
              fn(msg.data);
            } catch (e) {
              this.o.log.warn('placement: pod message rejected', { kind, error: (e as Error).message });
            }
          },
        }),
      );
    on('register', (d) => {
      const reg = decodePodBody('register', d);
      const before = this.fleet.shape(reg.podId);
      const fresh = this.fleet.register(reg, now());
      if (this.fleet.has(reg.podId)) this.sendTo(reg.podId);
      if (fresh || this.fleet.shape(reg.podId) !== before) this.soon();
    });
    on('heartbeat', (d) => {
      const hb = decodePodBody('heartbeat', d);
      const before = this.fleet.shape(hb.podId);
      if (!this.fleet.heartbeat(hb, now())) return;
      if (this.fleet.shape(hb.podId) !== before) this.soon();
      else this.debounce.trigger();
    });
    on('drain', (d) => {
      if (this.fleet.markDraining(decodePodBody('drain', d).podId)) this.soon();
    });
    on('deregister', (d) => {
      if (this.fleet.remove(decodePodBody('deregister', d).podId)) this.soon();
    });
  }

  private tick(): void {
    if (this.stopped) return;
    if (this.fleet.expire(Date.now()).length > 0) this.soon();
    if (!this.models && Date.now() - this.catalogTriedAt > CATALOG_RETRY_MS) void this.tryCatalog();
    const held = this.o.lease ? this.o.lease.isHeld() : true;
    if (held === this.leading) {
      if (held && this.takeOverFailed) this.startTakeOver();
      return;
    }
    this.leading = held;
    this.tookOver = false;
    this.takeOverFailed = false;
    this.o.log.info(held ? 'placement: leading' : 'placement: following', {});
    if (held) this.startTakeOver();
    else {
      // A follower's figures would be stale: the leader's /metrics carries them.
      this.metrics?.update([], new Map());
      this.latest = { leader: false, versions: [], scaling: {}, assignments: {} };
    }
  }

  /**
   * Takes over on the run chain. A store that does not answer (its NATS node lost, a stream
   * election under way) is logged and tried again on the next tick while the lease is held:
   * left unhandled, the rejection ended the whole control-plane process.
   */
  private startTakeOver(): void {
    this.takeOverFailed = false;
    this.running = this.running
      .then(() => this.takeOver())
      .catch((err) => {
        this.takeOverFailed = true;
        this.o.log.warn('placement: cannot read the recorded assignments to take over; trying again', {
          error: (err as Error).message,
        });
      });
  }

  /** A new leader starts from the assignments its predecessor recorded (stability). */
  private async takeOver(): Promise<void> {
    if (this.stopped || !this.leading) return;
    const records = await this.store!.readAll();
    const current = new Map<string, Set<string>>();
    for (const [key, r] of records)
      for (const podId of r.assigned) current.set(podId, (current.get(podId) ?? new Set()).add(key));
    this.current = current;
    this.tookOver = true;
    this.schedule();
  }

  private schedule(): void {
    this.running = this.running
      .then(() => this.run())
      .catch((err) => {
        this.o.log.warn('placement run failed', { error: (err as Error).message });
      });
  }

  private async run(): Promise<void> {
    if (this.stopped || !this.leading || !this.tookOver) return;
    const nowMs = Date.now();
    const demand = demandOf(this.routes, this.catalog, this.fleet.stats());
    const result = place({ versions: demand.versions, pods: this.fleet.list(), current: this.current });
    this.current = new Map([...result.assignments].map(([p, keys]) => [p, new Set(keys)]));
    const versions = [...result.versions, ...demand.missing].sort((a, b) => (a.key < b.key ? -1 : 1));
    for (const podId of this.book.update(result.assignments, nowMs)) this.sendTo(podId);
    await this.store!.write(versions, this.o.lease, nowMs);
    this.latest = {
      leader: true,
      versions,
      scaling: Object.fromEntries(demand.scaling),
      assignments: Object.fromEntries(result.assignments),
    };
    this.metrics?.update(versions, demand.scaling);
    this.runs++;
  }

  private sendTo(podId: string): void {
    if (!this.leading || this.stopped) return;
    const entry = this.book.get(podId);
    if (!entry) return;
    const msg = assignmentsMessage(podId, entry.keys, this.catalog, entry.revision, Date.now());
    this.o.nc.publish(podSubjects(podId).assign, toBinary(PodAssignmentsSchema, msg));
  }

  private republish(): void {
    for (const podId of this.book.pods()) if (this.fleet.has(podId)) this.sendTo(podId);
  }
}
