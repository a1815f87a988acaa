// The model versions a pod serves, and their lifecycle: loading -> ready | failed, and
// ready -> unloading -> gone, or (a managed pod's unassigned version) ready -> draining (still
// answering, reported not ready) -> unloading -> gone. A version that fails to load is kept with its reason (so the
// registration can say why) and never takes the pod down. Operations on one version run one
// after another; different versions load in parallel.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../kernel/log/index.js';
import { ModelConfigError, ModelNotFoundError, ModelNotReadyError } from '../errors.js';
import { Batcher } from '../inference/batcher.js';
import { type ExecutionProviderName, type ModelConfig, parseModelConfig } from '../repository/config.js';
import { resolveSignature } from '../repository/signature.js';
import { placeRunner } from '../runtime/place-runner.js';
import { DEFAULT_INLINE_BUDGET_MS, type Placement } from '../runtime/run-placement.js';
import type { Runner } from '../runtime/runner.js';
import { type PoolOptions, WorkerPool } from '../runtime/worker-pool.js';
import type { InferenceObserver } from '../stats/observer.js';
import type { ModelSignature } from '../tensors/tensor.js';
import { defersPrepack, type PrepackState, prepackInBackground } from './background-prepack.js';
import { KeyedSerial } from './keyed-serial.js';
import { readyLine } from './ready-line.js';
import { compareVersions } from './version-order.js';

export type VersionState = 'loading' | 'ready' | 'failed' | 'draining' | 'unloading';

export interface ServedVersion {
  readonly model: string;
  readonly version: string;
  readonly dir: string;
  readonly fingerprint: string;
  state: VersionState;
  config?: ModelConfig;
  signature?: ModelSignature;
  /** 0: unbatched. */
  maxBatchSize: number;
  unbatchedReason?: string;
  provider?: ExecutionProviderName;
  fallbackReason?: string;
  failureReason?: string;
  /** Its session workers, or its session on the main thread (runtime/run-placement.ts). */
  pool?: Runner;
  runPlacement?: Placement;
  batcher?: Batcher;
  /** "sha256:<hex>" of model.onnx when known (managed pods). */
  digest?: string;
  /**
   * Memory the loaded version holds: the process's RSS growth across creating its sessions, at
   * least the model file's size (docs/DATAPLANE.md, "Managed mode": how it is measured).
   */
  memoryBytes?: number;
  /** Weights packed after READY (background-prepack.ts): where that stands; settles when done. */
  prepack?: PrepackState;
  prepacked?: Promise<void>;
}

/** Options of one load beyond where the files are. */
export interface LoadExtras {
  readonly digest?: string;
  /**
   * Settles while the sessions are created; the version becomes ready only if it resolves (a
   * managed pod verifies a cached file's digest in parallel with session creation).
   */
  readonly gate?: Promise<void>;
  /**
   * CPU versions: load the sessions from a pre-optimized ORT-format file (`load`), or write one
   * while loading (`write`), for the next load (a managed pod's cache; docs/DATAPLANE.md).
   */
  readonly optimized?: { readonly load?: string; readonly write?: string };
  /** The model with its weights in a file ONNX Runtime maps (a managed pod's cache), tried first. */
  readonly mapped?: string;
}

export interface ManagerOptions {
  readonly defaults: ModelConfig;
  /** Every version runs unbatched whatever its config says (benchmarks, debugging). */
  readonly disableBatching: boolean;
  readonly injectDelayMs: number;
  /** A version whose largest batch runs within this many ms runs inline (0: never). */
  readonly inlineBudgetMs?: number;
  readonly observer: InferenceObserver;
  readonly log: Logger;
}

const keyOf = (model: string, version: string) => `${model}/${version}`;

export class ModelManager {
  private readonly versions = new Map<string, ServedVersion>();
  private readonly ops = new KeyedSerial();
  private readonly listeners = new Set<() => void>();

  private injectDelayMs: number;

  constructor(private readonly opts: ManagerOptions) {
    this.injectDelayMs = opts.injectDelayMs;
  }

  /** Tests: make every version slower or faster from now on (loaded and future ones). */
  setInjectDelay(ms: number): void {
    this.injectDelayMs = ms;
    for (const v of this.versions.values()) v.pool?.setInjectDelay(ms);
  }

  /** Called after any state change (load, failure, unload). */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  list(): ServedVersion[] {
    return [...this.versions.values()].sort(
      (a, b) => a.model.localeCompare(b.model) || compareVersions(a.version, b.version),
    );
  }

  get(model: string, version: string): ServedVersion | undefined {
    return this.versions.get(keyOf(model, version));
  }

  /** Versions of a model, oldest first, whatever their state. */
  versionsOf(model: string): ServedVersion[] {
    return this.list().filter((v) => v.model === model);
  }

  /** The ready version a request names, or the newest ready one when it names none. */
  resolve(model: string, version?: string): ServedVersion {
    if (version) {
      const v = this.versions.get(keyOf(model, version));
      if (!v) throw new ModelNotFoundError(model, version);
      // A draining version still answers: proxies may route here until EDS drops the pod.
      if (v.state !== 'ready' && v.state !== 'draining')
        throw new ModelNotReadyError(model, version, v.failureReason ?? v.state);
      return v;
    }
    const all = this.versionsOf(model);
    if (all.length === 0) throw new ModelNotFoundError(model);
    let ready = all.filter((v) => v.state === 'ready');
    if (ready.length === 0) ready = all.filter((v) => v.state === 'draining');
    if (ready.length === 0)
      throw new ModelNotReadyError(model, all[all.length - 1]!.version, 'no ready version');
    return ready[ready.length - 1]!;
  }

  load(
    model: string,
    version: string,
    dir: string,
    fingerprint: string,
    extras: LoadExtras = {},
  ): Promise<void> {
    return this.serial(keyOf(model, version), () => this.doLoad(model, version, dir, fingerprint, extras));
  }

  /** Records a version that will not be loaded, with why (it shows as FAILED in registration). */
  refuse(model: string, version: string, reason: string, digest?: string): Promise<void> {
    return this.serial(keyOf(model, version), async () => {
      const key = keyOf(model, version);
      const current = this.versions.get(key);
      if (current?.pool) return; // loaded: a refusal of a later assignment does not unload it
      this.versions.set(key, {
        model,
        version,
        dir: '',
        fingerprint: '',
        state: 'failed',
        maxBatchSize: 0,
        failureReason: reason,
        ...(digest ? { digest } : {}),
      });
      this.opts.log.error(`model ${model} version ${version} refused: ${reason}`);
      this.emit();
    });
  }

  /**
   * Drain, then unload: the version is reported not ready at once (so the control plane drops it
   * from EDS) but keeps answering for `graceMs`; then it stops admitting, and what is queued or
   * running may finish for up to `timeoutMs` before its workers stop.
   */
  drainAndUnload(model: string, version: string, graceMs: number, timeoutMs: number): Promise<void> {
    return this.serial(keyOf(model, version), async () => {
      const v = this.versions.get(keyOf(model, version));
      if (v?.state === 'ready') {
        v.state = 'draining';
        this.opts.log.info(`model ${model} version ${version}: draining for ${graceMs} ms before unloading`);
        this.emit();
        await new Promise((r) => setTimeout(r, graceMs));
      }
      await this.doUnload(model, version, timeoutMs);
    });
  }

  unload(model: string, version: string): Promise<void> {
    return this.serial(keyOf(model, version), () => this.doUnload(model, version));
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.list().map((v) => this.unload(v.model, v.version)));
  }

  private serial(key: string, op: () => Promise<void>): Promise<void> {
    return this.ops.run(key, op);
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }

  private async doLoad(
    model: string,
    version: string,
    dir: string,
    fingerprint: string,
    extras: LoadExtras,
  ): Promise<void> {
    const key = keyOf(model, version);
    const current = this.versions.get(key);
    if (
      current &&
      current.fingerprint === fingerprint &&
      current.state !== 'unloading' &&
      current.state !== 'failed'
    )
      return;
    const entry: ServedVersion = {
      model,
      version,
      dir,
      fingerprint,
      state: 'loading',
      maxBatchSize: 0,
      ...(extras.digest ? { digest: extras.digest } : {}),
    };
    // A reload keeps the old version serving until the new one is ready.
    if (current?.state !== 'ready') {
      this.versions.set(key, entry);
      this.emit();
    }
    const t0 = performance.now();
    let packLater: WorkerPool | undefined;
    let fileBytes = 0;
    // Observed at once (a rejection while build() runs is not an unhandled one) and awaited on
    // every path: a failed load must not leave the cache's check (which may delete) running.
    const gate = extras.gate?.then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    try {
      const rss0 = process.memoryUsage.rss();
      packLater = await this.build(entry, extras.optimized, extras.mapped);
      fileBytes = (await stat(join(dir, 'model.onnx'))).size;
      entry.memoryBytes = Math.max(process.memoryUsage.rss() - rss0, fileBytes);
      const refused = await gate;
      if (refused) {
        await this.retire(entry);
        // Retired: not a loaded version any more (a later refusal must record itself).
        entry.pool = undefined;
        entry.batcher = undefined;
        throw refused;
      }
    } catch (err) {
      await gate;
      entry.state = 'failed';
      entry.failureReason = (err as Error).message;
      this.opts.log.error(`model ${model} version ${version} failed to load: ${entry.failureReason}`);
      if (current?.state === 'ready') return; // the old one keeps serving
      this.versions.set(key, entry);
      this.emit();
      return;
    }
    entry.state = 'ready';
    this.versions.set(key, entry);
    this.opts.log.info(readyLine(entry, performance.now() - t0, packLater !== undefined));
    this.emit();
    if (current?.batcher) void this.retire(current);
    if (packLater) entry.prepacked = prepackInBackground(entry, packLater, fileBytes, this.opts.log);
  }

  /** Loads the sessions; returns the pool whose weights are to be packed after READY, if any. */
  private async build(
    entry: ServedVersion,
    optimized: LoadExtras['optimized'],
    mapped: string | undefined,
  ): Promise<WorkerPool | undefined> {
    let text = '';
    try {
      text = await readFile(join(entry.dir, 'config.yaml'), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const { config, issues } = parseModelConfig(text, this.opts.defaults);
    if (issues.length) throw new ModelConfigError('config.yaml', issues);
    entry.config = config;
    // Only where the version's config.yaml asks for it (session.optimized_cache).
    const ortCache = config.executionProvider === 'cpu' && config.session.optimizedCache;
    const poolOptions: PoolOptions = {
      modelPath: join(entry.dir, 'model.onnx'),
      instances: config.instanceCount,
      executionProvider: config.executionProvider,
      session: config.session,
      injectDelayMs: this.injectDelayMs,
      ...(ortCache && optimized?.load ? { optimizedPath: optimized.load } : {}),
      ...(ortCache && optimized?.write ? { writeOptimized: optimized.write } : {}),
      ...(mapped ? { mappedPath: mapped } : {}),
    };
    const later = defersPrepack(config, poolOptions);
    const workers = await WorkerPool.start(
      later ? { ...poolOptions, session: { ...config.session, prepack: 'off' } } : poolOptions,
    );
    const loaded = workers.loaded;
    const resolved = resolveSignature(
      loaded,
      this.opts.disableBatching ? { ...config, maxBatchSize: 0 } : config,
    );
    if (resolved.issues.length) {
      await workers.stop();
      throw new ModelConfigError(undefined, resolved.issues);
    }
    const placed = await placeRunner({
      pool: workers,
      poolOptions,
      signature: resolved.signature,
      maxBatchSize: resolved.maxBatchSize,
      budgetMs: this.opts.inlineBudgetMs ?? DEFAULT_INLINE_BUDGET_MS,
    });
    const { runner: pool, placement } = placed;
    entry.runPlacement = placement;
    if (loaded.fallbackReason)
      this.opts.log.warn(
        `model ${entry.model} version ${entry.version}: ${config.executionProvider} requested, ` +
          `running on ${loaded.provider}: ${loaded.fallbackReason}`,
      );
    entry.pool = pool;
    entry.provider = loaded.provider;
    if (loaded.fallbackReason) entry.fallbackReason = loaded.fallbackReason;
    entry.signature = resolved.signature;
    entry.maxBatchSize = resolved.maxBatchSize;
    if (resolved.unbatchedReason) entry.unbatchedReason = resolved.unbatchedReason;
    const { model, version } = entry;
    const obs = this.opts.observer;
    entry.batcher = new Batcher(
      {
        model,
        version,
        maxBatchSize: resolved.maxBatchSize,
        maxQueueDelayMs: config.maxQueueDelayMs,
        queueLimit: config.queueLimit,
        instances: pool.instances,
        slots: pool.slots,
      },
      (inputs, notAfter) => pool.run(inputs, notAfter),
      {
        dequeued: (waitMs) => obs.queued(model, version, waitMs),
        batch: (rows, requests, computeMs) => obs.batch(model, version, rows, requests, computeMs),
      },
    );
    // An inline session was created packing (poolOptions); a worker still serving packs later.
    return later ? placed.workers : undefined;
  }

  private async doUnload(model: string, version: string, timeoutMs?: number): Promise<void> {
    const key = keyOf(model, version);
    const v = this.versions.get(key);
    if (!v) return;
    if (v.state === 'ready' || v.state === 'draining') {
      v.state = 'unloading';
      this.emit();
      this.opts.log.info(
        `model ${model} version ${version}: unloading after ${v.batcher!.inFlight} in-flight request(s)`,
      );
    }
    // Kept (as unloading) until its queue is empty: new requests get 503, not 404.
    await this.retire(v, timeoutMs);
    if (this.versions.get(key) === v) this.versions.delete(key);
    this.emit();
  }

  /** Finishes what the version has queued and running, then stops its workers. */
  private async retire(v: ServedVersion, timeoutMs?: number): Promise<void> {
    const closed = v.batcher?.close();
    if (timeoutMs === undefined) await closed;
    else {
      let timer: NodeJS.Timeout | undefined;
      const expired = await Promise.race([
        closed?.then(() => false),
        new Promise<boolean>((r) => {
          timer = setTimeout(() => r(true), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (expired)
        this.opts.log.warn(
          `model ${v.model} version ${v.version}: drain timeout (${timeoutMs} ms) with ${v.batcher?.inFlight ?? 0} request(s) unfinished; unloading`,
        );
    }
    await v.pool?.stop();
  }
}
