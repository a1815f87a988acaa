// Overcommit on a managed pod (--overcommit): the placer may assign more than --memory-limit
// holds. A version that does not fit when assigned is kept on standby (artifact cached and
// verified, sessions not loaded) and reported READY with `standby`, so it stays in EDS. The first
// request for it loads it, unloading the least recently used idle versions (lru.ts) to make
// room; concurrent requests share that load and each waits at most until its deadline. An
// evicted version goes back to standby. Rules and figures: docs/DATAPLANE.md, "Overcommit".
import type { AssignedVersion } from '../../kernel/contract/index.js';
import type { Logger } from '../../kernel/log/index.js';
import type { VersionStatus } from '../agent/messages.js';
import { DeadlineExceededError, MemoryLimitError, ModelNotReadyError } from '../errors.js';
import type { ModelManager } from '../serving/model-manager.js';
import { compareVersions } from '../serving/version-order.js';
import type { WindowSummary } from '../stats/window.js';
import type { ModelSignature } from '../tensors/tensor.js';
import { type LoadedCandidate, planEviction } from './lru.js';
import { formatBytes } from './memory-size.js';
import type { OvercommitMetrics } from './overcommit-metrics.js';

/** How long a request without a deadline waits for a load on demand. */
export const DEFAULT_LOAD_WAIT_MS = 30_000;
/** How long a load waits for busy versions to go idle when only they could make room. */
export const ROOM_WAIT_MS = 30_000;
const ROOM_POLL_MS = 25;

/** A request's claim on a version: it is never evicted while held. */
export interface Hold {
  /** Present when the version is on standby: settles once it is loaded (or the wait failed). */
  readonly ready?: Promise<void>;
  /** Ends the claim; names the version the request was answered by (it may have named none). */
  release(model: string, version: string): void;
}

export interface OvercommitOptions {
  readonly limitBytes: number;
  /** Loads an assigned version through the pod's one-at-a-time load queue (ManagedModels). */
  readonly load: (v: AssignedVersion) => Promise<void>;
  readonly metrics?: OvercommitMetrics;
  /** The standby set changed outside the model manager: re-register (the agent). */
  readonly changed?: () => void;
  readonly log: Logger;
  /** Tests: the default wait for requests without a deadline. */
  readonly defaultWaitMs?: number;
}

const keyOf = (model: string, version: string) => `${model}/${version}`;

export class Overcommit {
  private assigned = new Map<string, AssignedVersion>();
  private readonly standby = new Set<string>();
  private readonly lastUsed = new Map<string, number>();
  private readonly pins = new Map<string, number>();
  private readonly loads = new Map<string, Promise<void>>();
  /** Last measured memory of versions that were loaded once, for the next load's room. */
  private readonly measured = new Map<string, number>();
  /** Assigned versions' signatures, for model metadata while on standby. */
  private readonly signatures = new Map<string, ModelSignature>();

  constructor(
    private readonly models: ModelManager,
    private readonly opts: OvercommitOptions,
  ) {}

  /** The latest assignments (ManagedModels.apply): only these are tracked and evicted. */
  setAssigned(assigned: ReadonlyMap<string, AssignedVersion>): void {
    this.assigned = new Map(assigned);
    const before = this.standby.size;
    for (const key of [
      ...this.standby,
      ...this.lastUsed.keys(),
      ...this.measured.keys(),
      ...this.signatures.keys(),
    ])
      if (!this.assigned.has(key)) this.forget(key);
    if (this.standby.size !== before) this.opts.changed?.();
  }

  isStandby(model: string, version: string): boolean {
    return this.standby.has(keyOf(model, version));
  }

  knows(model: string, version?: string): boolean {
    if (version !== undefined) return this.assigned.has(keyOf(model, version));
    for (const v of this.assigned.values()) if (v.model === model) return true;
    return false;
  }

  get standbyCount(): number {
    return this.standby.size;
  }

  /** Does `v` fit beside what is loaded now, without unloading anything? */
  fits(v: AssignedVersion): boolean {
    return this.heldBytes(keyOf(v.model, v.version)) + this.need(v) <= this.opts.limitBytes;
  }

  /** `v`'s artifact is cached and verified: it is served on standby until a request loads it. */
  toStandby(v: AssignedVersion): void {
    const key = keyOf(v.model, v.version);
    this.standby.add(key);
    this.opts.changed?.();
    this.opts.log.info(
      `managed: ${v.model} version ${v.version} on standby (assigned beyond --memory-limit; loads on its first request)`,
    );
  }

  /** `v` finished loading (READY): it leaves standby. */
  loaded(model: string, version: string): void {
    const key = keyOf(model, version);
    this.standby.delete(key);
    this.lastUsed.set(key, performance.now());
    const bytes = this.models.get(model, version)?.memoryBytes;
    if (bytes) this.measured.set(key, bytes);
    const signature = this.models.get(model, version)?.signature;
    if (signature) this.signatures.set(key, signature);
  }

  forget(key: string): void {
    this.standby.delete(key);
    this.lastUsed.delete(key);
    this.measured.delete(key);
    this.signatures.delete(key);
  }

  /** Records an assigned version's signature (read while it went on standby). */
  setSignature(model: string, version: string, signature: ModelSignature): void {
    const key = keyOf(model, version);
    if (this.assigned.has(key)) this.signatures.set(key, signature);
  }

  /**
   * What model metadata answers for a version on standby (without one named: the newest of the
   * model's on standby), when its signature is known; undefined otherwise.
   */
  standbyMetadata(
    model: string,
    version?: string,
  ): { version: string; signature: ModelSignature } | undefined {
    const known = this.standbyVersions(model).filter((v) => version === undefined || v === version);
    const v = known[known.length - 1];
    return v === undefined ? undefined : { version: v, signature: this.signatures.get(keyOf(model, v))! };
  }

  /** The model's versions on standby whose signature is known, oldest first. */
  standbyVersions(model: string): string[] {
    return [...this.standby]
      .map((key) => this.assigned.get(key))
      .filter((a) => a !== undefined && a.model === model && this.signatures.has(keyOf(a.model, a.version)))
      .map((a) => a!.version)
      .sort(compareVersions);
  }

  /**
   * Called for every request before the version is resolved, synchronously (the resolve and the
   * submit that follow are synchronous too, so nothing is evicted in between). Undefined for a
   * version that is not a managed assignment.
   */
  hold(model: string, version: string | undefined, deadline: number): Hold | undefined {
    if (version === undefined) return { release: (m, v) => this.touch(keyOf(m, v)) };
    const key = keyOf(model, version);
    if (!this.assigned.has(key)) return undefined;
    // Last use is when a request ends: a long one holds its version (pinned) without
    // making it look recent, so the pin alone keeps it from eviction.
    this.pins.set(key, (this.pins.get(key) ?? 0) + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const n = (this.pins.get(key) ?? 1) - 1;
      if (n > 0) this.pins.set(key, n);
      else this.pins.delete(key);
      this.touch(key);
    };
    if (!this.standby.has(key) && !this.loads.has(key)) return { release };
    return { ready: this.waitForLoad(model, version, deadline), release };
  }

  /**
   * Unloads idle versions, least recently used first, until `v` fits. Runs inside the load
   * queue. When only busy versions could make room it waits for them (bounded), then refuses.
   */
  async makeRoom(v: AssignedVersion): Promise<void> {
    const key = keyOf(v.model, v.version);
    const need = this.need(v);
    const until = performance.now() + ROOM_WAIT_MS;
    for (;;) {
      const plan = planEviction(this.candidates(key), need, this.opts.limitBytes);
      if (plan.fits) {
        // Marked standby at once, in this same turn: from here a request for a victim waits
        // for its reload instead of reaching a batcher that is closing.
        for (const victim of plan.victims) this.standby.add(victim);
        await Promise.all(plan.victims.map((victim) => this.evict(victim)));
        return;
      }
      if (performance.now() > until)
        throw new MemoryLimitError(
          v.model,
          v.version,
          `needs ${formatBytes(need)}, ${formatBytes(plan.heldAfter)} of ${formatBytes(this.opts.limitBytes)} held by versions with requests in flight`,
        );
      await new Promise((r) => setTimeout(r, ROOM_POLL_MS));
    }
  }

  /** The registration's and heartbeat's view: standby versions are READY, without memory. */
  present(
    versions: readonly VersionStatus[],
    window: (model: string, version: string) => WindowSummary,
    portOf: (model: string, version: string) => number | undefined,
  ): VersionStatus[] {
    const idle = (model: string, version: string, digest: string | undefined): VersionStatus => {
      const port = portOf(model, version);
      return {
        model,
        version,
        state: 'ready',
        standby: true,
        maxBatchSize: 0,
        instances: 0,
        queueLimit: 0,
        queueDepth: 0,
        inFlight: 0,
        window: window(model, version),
        ...(digest ? { digest } : {}),
        ...(port ? { grpcPort: port } : {}),
      };
    };
    // Loading on demand or being evicted: still READY (routable), holding no memory.
    const out = versions.map((s) =>
      this.standby.has(keyOf(s.model, s.version)) ? idle(s.model, s.version, s.digest) : s,
    );
    const listed = new Set(versions.map((s) => keyOf(s.model, s.version)));
    for (const key of this.standby) {
      const v = this.assigned.get(key);
      if (v && !listed.has(key)) out.push(idle(v.model, v.version, v.digest));
    }
    return out;
  }

  private touch(key: string): void {
    if (this.assigned.has(key)) this.lastUsed.set(key, performance.now());
  }

  private need(v: AssignedVersion): number {
    return Math.max(this.measured.get(keyOf(v.model, v.version)) ?? 0, Number(v.sizeBytes));
  }

  private heldBytes(except: string): number {
    return this.candidates(except).reduce((n, c) => n + c.bytes, 0);
  }

  /** Everything that holds memory now; only idle, ready managed versions may be evicted. */
  private candidates(except: string): LoadedCandidate[] {
    const out: LoadedCandidate[] = [];
    for (const s of this.models.list()) {
      const key = keyOf(s.model, s.version);
      if (key === except || s.state === 'failed' || this.standby.has(key)) continue;
      const evictable = s.state === 'ready' && this.assigned.has(key);
      const busy =
        !evictable ||
        (this.pins.get(key) ?? 0) > 0 ||
        (s.batcher?.inFlight ?? 0) > 0 ||
        (s.batcher?.queueDepth ?? 0) > 0;
      out.push({ key, bytes: s.memoryBytes ?? 0, lastUsedMs: this.lastUsed.get(key) ?? 0, busy });
    }
    return out;
  }

  private async evict(key: string): Promise<void> {
    const i = key.lastIndexOf('/');
    const model = key.slice(0, i);
    const version = key.slice(i + 1);
    const bytes = this.models.get(model, version)?.memoryBytes;
    if (bytes) this.measured.set(key, bytes);
    this.opts.metrics?.unloads.inc({ model, version });
    this.opts.log.info(
      `managed: unloading idle ${model} version ${version} (least recently used, ${formatBytes(bytes ?? 0)}) to make room; it stays on standby`,
    );
    await this.models.unload(model, version);
  }

  private waitForLoad(model: string, version: string, deadline: number): Promise<void> {
    const key = keyOf(model, version);
    const load = this.loads.get(key) ?? this.startLoad(model, version);
    const t0 = performance.now();
    const budget = Number.isFinite(deadline)
      ? Math.max(0, deadline - Date.now())
      : (this.opts.defaultWaitMs ?? DEFAULT_LOAD_WAIT_MS);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new DeadlineExceededError(
              `after ${Math.round(performance.now() - t0)} ms waiting for model ${model} version ${version} to load on demand (the load goes on)`,
            ),
          ),
        budget,
      );
    });
    const observe = (result: string) =>
      this.opts.metrics?.wait.observe({ model, version, result }, (performance.now() - t0) / 1000);
    return Promise.race([load, expired]).then(
      () => {
        clearTimeout(timer);
        observe('loaded');
      },
      (err: unknown) => {
        clearTimeout(timer);
        observe(err instanceof DeadlineExceededError ? 'deadline' : 'failed');
        throw err;
      },
    );
  }

  private startLoad(model: string, version: string): Promise<void> {
    const key = keyOf(model, version);
    const v = this.assigned.get(key);
    const run = (async () => {
      if (!v) throw new ModelNotReadyError(model, version, 'no longer assigned');
      const t0 = performance.now();
      try {
        await this.opts.load(v);
        const s = this.models.get(model, version);
        if (s?.state !== 'ready')
          throw new ModelNotReadyError(model, version, s?.failureReason ?? 'load on demand failed');
      } catch (err) {
        this.opts.metrics?.loads.inc({ model, version, result: 'failed' });
        this.opts.log.warn(
          `managed: ${model} version ${version}: load on demand failed: ${(err as Error).message}`,
        );
        throw err;
      }
      this.opts.metrics?.loads.inc({ model, version, result: 'loaded' });
      this.opts.log.info(
        `managed: ${model} version ${version} loaded on demand in ${Math.round(performance.now() - t0)} ms`,
      );
    })();
    this.loads.set(key, run);
    const done = () => {
      if (this.loads.get(key) === run) this.loads.delete(key);
    };
    run.then(done, done);
    return run;
  }
}
