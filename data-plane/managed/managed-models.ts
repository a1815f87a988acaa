// A managed pod's side of placement: it holds what the latest PodAssignments names. New versions
// are checked (residency, memory limit), fetched from the cache or the Object Store, verified
// and loaded one at a time (so each load's memory figure is its own); versions no longer
// assigned drain and unload. A refusal is recorded as a FAILED version whose reason the
// registration carries; the pod never goes down for one.
import { rm } from 'node:fs/promises';
import type { AssignedVersion, PodAssignments } from '../../kernel/contract/index.js';
import type { Logger } from '../../kernel/log/index.js';
import { MemoryLimitError, ResidencyRefusedError } from '../errors.js';
import { BUILTIN_MODEL_DEFAULTS, type ModelConfig } from '../repository/config.js';
import { prewarmWorker } from '../runtime/spare-workers.js';
import type { ModelManager } from '../serving/model-manager.js';
import type { ArtifactCache } from './artifact-cache.js';
import type { PlainSink } from './incoming-artifact.js';
import { formatBytes } from './memory-size.js';
import { Overcommit } from './overcommit.js';
import type { OvercommitMetrics } from './overcommit-metrics.js';
import { standbySignature } from './standby-signature.js';

/** Where artifacts come from (artifact-fetch.ts; tests may pass another). */
export interface ArtifactFetcher {
  /**
   * The verified plaintext. A fetcher may hand the bytes to `sink` as they arrive (unverified
   * until this resolves; the cache renames what the sink wrote only after it does); one that
   * does not leaves the cache to write them after.
   */
  fetch(a: AssignedVersion, sink?: PlainSink): Promise<Uint8Array>;
}

/** Each managed version's own gRPC and HTTP ports (version-ports.ts; absent: none). */
export interface VersionPortSet {
  ensure(model: string, version: string): Promise<number>;
  portOf(model: string, version: string): number | undefined;
  httpPortOf(model: string, version: string): number | undefined;
  close(model: string, version: string): Promise<void>;
  closeAll(): Promise<void>;
}

export interface ManagedOptions {
  readonly region: string;
  readonly ports?: VersionPortSet;
  readonly memoryLimitBytes?: number;
  /** --overcommit (with a memory limit): standby versions, LRU unload, load on demand. */
  readonly overcommit?: {
    readonly metrics?: OvercommitMetrics;
    readonly changed?: () => void;
    readonly defaultWaitMs?: number;
  };
  readonly drain: { readonly graceMs: number; readonly timeoutMs: number };
  /** The pod's model defaults (its flags), for a standby version's signature; built-in without. */
  readonly modelDefaults?: ModelConfig;
  readonly log: Logger;
}

/** How one assigned version came to be loaded, for logs, tests and the benchmark. */
export interface LoadTiming {
  readonly model: string;
  readonly version: string;
  readonly fromCache: boolean;
  /** Download, unseal, decrypt, verify and write to the cache (0 from the cache). */
  readonly fetchMs: number;
  /** Picked up to READY, fetch included. */
  readonly totalMs: number;
}

const keyOf = (model: string, version: string) => `${model}/${version}`;

export class ManagedModels {
  private assigned = new Map<string, AssignedVersion>();
  private revision = 0n;
  private sentAtMs = 0n;
  private queue: Promise<void> = Promise.resolve();
  private fetcher: ArtifactFetcher | undefined;
  private readonly timingListeners = new Set<(t: LoadTiming) => void>();
  /** Present with --overcommit (overcommit.ts). */
  readonly overcommit: Overcommit | undefined;

  constructor(
    private readonly models: ModelManager,
    private readonly cache: ArtifactCache,
    private readonly opts: ManagedOptions,
  ) {
    const limitBytes = opts.memoryLimitBytes;
    this.overcommit =
      opts.overcommit && limitBytes
        ? new Overcommit(models, {
            limitBytes,
            load: (v) => this.loadOnDemand(v),
            log: opts.log,
            ...opts.overcommit,
          })
        : undefined;
    prewarmWorker();
  }

  /** The revision of the last assignments acted on (heartbeats carry it). */
  get assignmentRevision(): bigint {
    return this.revision;
  }

  /** Set once NATS is connected; assignments only arrive after that. */
  setFetcher(f: ArtifactFetcher): void {
    this.fetcher = f;
  }

  onLoaded(fn: (t: LoadTiming) => void): () => void {
    this.timingListeners.add(fn);
    return () => this.timingListeners.delete(fn);
  }

  /**
   * Applies a PodAssignments. A lower revision than the last applied is a stale message (from a
   * replica that just lost the lease) and is ignored, unless it was sent later: then it is a new
   * leader counting from its own start.
   */
  apply(a: PodAssignments): Promise<void> {
    if (a.revision < this.revision && a.sentAtMs <= this.sentAtMs) return this.queue;
    this.revision = a.revision;
    this.sentAtMs = a.sentAtMs;
    const next = new Map(a.versions.map((v) => [keyOf(v.model, v.version), v]));
    const previous = this.assigned;
    this.assigned = next;
    this.overcommit?.setAssigned(next);
    for (const [key, v] of previous) if (!next.has(key)) void this.unassign(v.model, v.version);
    for (const [key, v] of next) {
      const had = previous.get(key);
      // A standby version waits for its first request, not for the next re-sent assignments.
      const standby = this.overcommit?.isStandby(v.model, v.version) === true;
      if (!had || had.digest !== v.digest || (this.needsLoad(v) && !standby)) this.enqueue(v);
    }
    return this.queue;
  }

  /** The version's own gRPC port (registrations carry it), or undefined. */
  portOf(model: string, version: string): number | undefined {
    return this.opts.ports?.portOf(model, version);
  }

  /** The version's own ports, as its registration carries them. */
  ownPorts(model: string, version: string): { grpcPort?: number; httpPort?: number } {
    const grpcPort = this.opts.ports?.portOf(model, version);
    const httpPort = this.opts.ports?.httpPortOf(model, version);
    return { ...(grpcPort ? { grpcPort } : {}), ...(httpPort ? { httpPort } : {}) };
  }

  /** Closes the versions' own ports (the pod closes). */
  closePorts(): Promise<void> {
    return this.opts.ports?.closeAll() ?? Promise.resolve();
  }

  /** Resolves when every queued load has finished (tests, benchmark). */
  settled(): Promise<void> {
    return this.queue;
  }

  private needsLoad(v: AssignedVersion): boolean {
    const served = this.models.get(v.model, v.version);
    return !served || served.state === 'draining' || served.state === 'unloading';
  }

  private enqueue(v: AssignedVersion): void {
    this.queue = this.queue.then(() => this.loadOne(v)).then(() => this.packed(v));
  }

  /**
   * The queue's next load waits for this one's weights to be packed in the background (the version
   * is READY meanwhile), so that each load's memory figure stays its own.
   */
  private async packed(v: AssignedVersion): Promise<void> {
    await this.models.get(v.model, v.version)?.prepacked;
    prewarmWorker(); // the packing took the spare, if it was waiting
  }

  private async unassign(model: string, version: string): Promise<void> {
    const served = this.models.get(model, version);
    const { graceMs, timeoutMs } = this.opts.drain;
    if (served?.state === 'failed') await this.models.unload(model, version);
    else if (served) await this.models.drainAndUnload(model, version, graceMs, timeoutMs);
    // Out of EDS (UNLOADING) and unloaded first; kept when assigned again meanwhile.
    if (!this.assigned.has(keyOf(model, version))) await this.opts.ports?.close(model, version);
  }

  /** A request for a standby version: make room (LRU unload), then load it, in the queue. */
  private loadOnDemand(v: AssignedVersion): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.assigned.get(keyOf(v.model, v.version)) !== v) return;
      await this.overcommit!.makeRoom(v);
      await this.loadOne(v, true);
    });
    // The requests wait for READY only, not for the packing that follows.
    this.queue = run.catch(() => undefined).then(() => this.packed(v));
    return run;
  }

  private async loadOne(v: AssignedVersion, onDemand = false): Promise<void> {
    // Reassigned or unassigned while queued: act on what is assigned now.
    if (this.assigned.get(keyOf(v.model, v.version)) !== v) return;
    const served = this.models.get(v.model, v.version);
    if (served && !this.needsLoad(v) && served.state !== 'failed' && served.digest === v.digest) return;
    try {
      this.checkResidency(v);
      if (!this.overcommit) this.checkMemory(v);
      else if (!onDemand && !this.overcommit.fits(v)) return await this.standbyOne(v);
      const t0 = performance.now();
      // Bound beside the cache checks and the session create (binding two servers can take as
      // long as both on a busy machine); READY waits for them, as the registration names them.
      const ports = this.opts.ports?.ensure(v.model, v.version).then(() => undefined);
      ports?.catch(() => undefined); // awaited below; a failure refuses the version
      let dir = await this.cache.existing(v.model, v.version);
      let fromCache = false;
      if (dir) {
        // The file stamped when it was verified is not hashed again; any other is verified while
        // the session is created from it: READY only if the digest matches.
        const trusted = await this.cache.trusted(v.model, v.version, v.digest);
        const gate = trusted ? undefined : this.cache.verify(v.model, v.version, v.digest);
        // Observed at once: the load may start only after more file reads, or wait behind a
        // drain's grace on the same version, and a verify that fails meanwhile would be an
        // unhandled rejection, which ends the pod. The load awaits it and refuses the version.
        gate?.catch(() => undefined);
        const ort = trusted ? await this.cache.optimized(v.model, v.version, v.digest) : undefined;
        // A cache entry from before the mapped form existed gets it once, here.
        const mapped = trusted
          ? ((await this.cache.mapped(v.model, v.version, v.digest)) ??
            (await this.cache.writeMapped(v.model, v.version, v.digest).catch(() => undefined)))
          : undefined;
        const ready = gate && ports ? Promise.all([gate, ports]).then(() => undefined) : (gate ?? ports);
        ready?.catch(() => undefined);
        await this.models.load(v.model, v.version, dir, v.digest, {
          digest: v.digest,
          ...(ready ? { gate: ready } : {}),
          ...(mapped ? { mapped } : {}),
          optimized: ort ? { load: ort } : { write: this.cache.optimizedTmp(v.model, v.version) },
        });
        await ports;
        fromCache = this.models.get(v.model, v.version)?.state === 'ready';
        if (!fromCache)
          this.opts.log.warn(`managed: cached ${v.model} version ${v.version} not usable; downloading it`);
      }
      let fetchMs = 0;
      let phases = '';
      if (!fromCache) {
        await ports;
        if (!this.fetcher) throw new Error('no artifact source (NATS not connected)');
        const t1 = performance.now();
        // model.onnx and the split weights file are written while it downloads: the cache then
        // renames them instead of writing 96 MiB twice after the last byte.
        const incoming = await this.cache.incoming(v.model, v.version, Number(v.sizeBytes));
        const plain = await this.fetcher.fetch(v, incoming).catch(async (err: unknown) => {
          await incoming.discard();
          throw err;
        });
        const t2 = performance.now();
        dir = await this.cache.store(v.model, v.version, plain, v.configYaml, v.digest, incoming);
        fetchMs = performance.now() - t1;
        phases = `: fetch ${Math.round(t2 - t1)} ms, cache ${Math.round(fetchMs - (t2 - t1))} ms`;
        // Not written here: writing the ORT-format file doubles a session create, and this load
        // is on the way from a push to traffic. The first load from the cache writes it.
        const mapped = await this.cache.mapped(v.model, v.version, v.digest);
        await this.models.load(v.model, v.version, dir, v.digest, {
          digest: v.digest,
          ...(mapped ? { mapped } : {}),
        });
      }
      const totalMs = performance.now() - t0;
      if (phases) phases += `; session ${Math.round(totalMs - fetchMs)} ms`;
      const loaded = this.models.get(v.model, v.version);
      if (loaded?.state === 'ready') {
        this.opts.log.info(
          `managed: ${v.model} version ${v.version} ready in ${Math.round(totalMs)} ms ` +
            `(${fromCache ? 'from the cache' : `downloaded in ${Math.round(fetchMs)} ms${phases}`}, ${formatBytes(loaded.memoryBytes ?? 0)})`,
        );
        this.overcommit?.loaded(v.model, v.version);
        const timing = { model: v.model, version: v.version, fromCache, fetchMs, totalMs };
        for (const fn of this.timingListeners) fn(timing);
      }
      // Kept for the next load only once this one succeeded (and only beside a trusted file).
      if (loaded?.state === 'ready')
        await this.cache.adoptOptimized(v.model, v.version, v.digest).catch(() => undefined);
      else await rm(this.cache.optimizedTmp(v.model, v.version), { force: true });
    } catch (err) {
      const reason = (err as Error).message;
      this.overcommit?.forget(keyOf(v.model, v.version));
      await this.cache.remove(v.model, v.version).catch(() => undefined);
      await this.models.refuse(v.model, v.version, reason, v.digest);
    } finally {
      // After the load's memory was measured, so the spare's own boot is not counted in it.
      prewarmWorker();
    }
  }

  /** Overcommit: the artifact cached and verified (make before break), its port open, no session. */
  private async standbyOne(v: AssignedVersion): Promise<void> {
    await this.opts.ports?.ensure(v.model, v.version);
    const cached = await this.cache.existing(v.model, v.version);
    if (cached && !(await this.cache.trusted(v.model, v.version, v.digest)))
      await this.cache.verify(v.model, v.version, v.digest).catch(() => undefined); // removed on mismatch
    if (!(await this.cache.trusted(v.model, v.version, v.digest))) {
      if (!this.fetcher) throw new Error('no artifact source (NATS not connected)');
      const plain = await this.fetcher.fetch(v);
      await this.cache.store(v.model, v.version, plain, v.configYaml, v.digest);
    }
    this.overcommit!.toStandby(v);
    await this.models.unload(v.model, v.version); // a FAILED entry of an earlier try, if any
    await this.describeStandby(v);
  }

  /** Model metadata of a standby version answers from this before its first load. */
  private async describeStandby(v: AssignedVersion): Promise<void> {
    try {
      const dir = await this.cache.existing(v.model, v.version);
      const mapped = await this.cache.mapped(v.model, v.version, v.digest);
      const defaults = this.opts.modelDefaults ?? BUILTIN_MODEL_DEFAULTS;
      const signature = dir ? await standbySignature(dir, mapped, defaults) : undefined;
      if (signature) this.overcommit!.setSignature(v.model, v.version, signature);
    } catch (err) {
      this.opts.log.warn(
        `managed: ${v.model} version ${v.version} on standby without metadata until its first load: ${(err as Error).message.split('\n')[0]}`,
      );
    }
  }

  private checkResidency(v: AssignedVersion): void {
    if (v.regions.length > 0 && !v.regions.includes(this.opts.region))
      throw new ResidencyRefusedError(v.model, v.version, this.opts.region, v.regions);
  }

  /** Measured figures of what is loaded, plus the newcomer's file size as its floor. */
  private checkMemory(v: AssignedVersion): void {
    const limit = this.opts.memoryLimitBytes;
    if (!limit) return;
    const held = this.models
      .list()
      .filter((s) => s.state !== 'failed' && !(s.model === v.model && s.version === v.version))
      .reduce((n, s) => n + (s.memoryBytes ?? 0), 0);
    const need = Number(v.sizeBytes);
    if (held + need > limit)
      throw new MemoryLimitError(
        v.model,
        v.version,
        `needs at least ${formatBytes(need)}, ${formatBytes(held)} of ${formatBytes(limit)} already held`,
      );
  }
}
