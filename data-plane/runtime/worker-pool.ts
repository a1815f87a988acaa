// The worker threads behind one model version: `instances` threads, each with its own ONNX
// Runtime session of the same file. Each worker holds up to PIPELINE_DEPTH runs: the next batch
// is already in its inbox when the current one ends, so the thread never idles through a
// message round trip (which takes milliseconds on a busy machine). The batcher never hands out
// more runs than `slots`. A worker that dies fails its runs and is replaced. `swapSessions`
// replaces every worker by one with other session options (weights packed in the background),
// between runs: the old ones take no new run and stop once their last one is answered.
import type { Worker } from 'node:worker_threads';
import { DeadlineExceededError, InferenceFailedError } from '../errors.js';
import type { RunResult } from '../inference/batcher.js';
import type { ExecutionProviderName, SessionConfig } from '../repository/config.js';
import { copyBytes, fromOrtType, isFixedSize, toOrtType } from '../tensors/datatypes.js';
import type { Tensor } from '../tensors/tensor.js';
import type { FromWorker, LoadedMessage, LoadMessage, RunMessage, WireTensor } from './protocol.js';
import { transferList } from './protocol.js';
import type { Runner } from './runner.js';
import { takeWorker } from './spare-workers.js';
/** Runs queued per worker: the one running and the next. */
export const PIPELINE_DEPTH = 2;

export interface PoolOptions {
  readonly modelPath: string;
  readonly instances: number;
  readonly executionProvider: ExecutionProviderName;
  readonly session: SessionConfig;
  readonly injectDelayMs: number;
  /** The pre-optimized ORT-format file to load from (see LoadMessage). */
  readonly optimizedPath?: string;
  /** The mapped-weights form of the model (see LoadMessage). */
  readonly mappedPath?: string;
  /** Where the first worker writes the optimized model (see LoadMessage). */
  readonly writeOptimized?: string;
}

interface Pending {
  resolve(r: RunResult): void;
  reject(e: Error): void;
}

/** How long ending a worker waits for ONNX Runtime to finish what it does for it (see terminate). */
const NATIVE_GRACE_MS = 30_000;

class SessionWorker {
  readonly worker: Worker;
  /** Runs the thread has not answered yet (kept after terminate() failed their callers). */
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private loaded: ((m: LoadedMessage) => void) | undefined;
  private loadFailed: ((e: Error) => void) | undefined;
  dead = false;
  ready = false;
  /** Runs sent and not yet answered. */
  outstanding = 0;
  busySince = 0;
  /** Called when the last outstanding run is answered (a replaced worker waits for it). */
  onIdle: (() => void) | undefined;
  /** Set by terminate() while it waits for the thread to leave ONNX Runtime. */
  private onQuiet: (() => void) | undefined;

  constructor(private readonly onDeath: (w: SessionWorker, why: string) => void) {
    this.worker = takeWorker();
    this.worker.on('message', (m: FromWorker) => this.onMessage(m));
    this.worker.on('error', (err) => this.die(`worker error: ${err.message}`));
    this.worker.on('exit', (code) => this.die(`worker exited with code ${code}`));
  }

  load(msg: LoadMessage): Promise<LoadedMessage> {
    return new Promise((resolve, reject) => {
      this.loaded = resolve;
      this.loadFailed = reject;
      this.worker.postMessage(msg);
    });
  }

  run(inputs: readonly Tensor[], notAfter?: number): Promise<RunResult> {
    const id = this.nextId++;
    const wire: WireTensor[] = inputs.map((t) => {
      // Move buffers that hold only this tensor (a merged batch, decoded JSON); copy views
      // into shared ones (a gRPC message, Node's Buffer pool), which must not be detached.
      const own = t.data.byteOffset === 0 && t.data.byteLength === t.data.buffer.byteLength;
      const d = own && t.data.buffer instanceof ArrayBuffer ? t.data : copyBytes(t.data);
      return {
        name: t.name,
        type: toOrtType(t.datatype),
        dims: t.shape,
        buffer: d.buffer as ArrayBuffer,
        byteOffset: d.byteOffset,
        byteLength: d.byteLength,
      };
    });
    return new Promise<RunResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const msg: RunMessage = {
        type: 'run',
        id,
        inputs: wire,
        ...(notAfter !== undefined ? { notAfter } : {}),
      };
      this.worker.postMessage(msg, transferList(wire));
    });
  }

  /** Whether the thread still owes an answer to a load or a run: it is inside ONNX Runtime. */
  private get inNative(): boolean {
    return this.loaded !== undefined || this.pending.size > 0;
  }

  private onMessage(m: FromWorker): void {
    this.answered(m);
    if (this.onQuiet && !this.inNative) this.onQuiet();
  }

  private answered(m: FromWorker): void {
    switch (m.type) {
      case 'loaded':
        this.ready = true;
        this.loaded?.(m);
        this.loaded = undefined;
        break;
      case 'load-failed':
        this.loadFailed?.(new Error(m.message));
        this.loaded = undefined;
        break;
      case 'result': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.resolve({ outputs: m.outputs.map(fromWire), computeMs: m.computeMs });
        break;
      }
      case 'run-failed': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.reject(
          m.expired
            ? new DeadlineExceededError('before its batch ran')
            : new InferenceFailedError(`onnxruntime: ${m.message}`),
        );
        break;
      }
    }
  }

  private die(why: string): void {
    // The thread is gone: nothing of ours runs in ONNX Runtime any more.
    this.onQuiet?.();
    if (this.dead) return;
    this.dead = true;
    this.loadFailed?.(new Error(why));
    for (const p of this.pending.values()) p.reject(new InferenceFailedError(why));
    this.pending.clear();
    this.onDeath(this, why);
  }

  async terminate(): Promise<void> {
    const alive = !this.dead;
    this.dead = true;
    this.loadFailed?.(new Error('session worker stopped while loading'));
    // Runs still unanswered (past a drain timeout) fail rather than wait forever. Their entries
    // stay until the thread answers them (a settled promise ignores the answer), so that below
    // knows when the thread has left ONNX Runtime.
    for (const p of this.pending.values()) p.reject(new InferenceFailedError('session worker stopped'));
    // A thread ended while ONNX Runtime works for it (a session being created, say by background
    // packing when the version is unloaded) aborts the whole process: onnxruntime-node's callback
    // throws into an environment being torn down ("terminate called after throwing an instance of
    // 'Napi::Error'"). So the thread is ended once it has answered, or after NATIVE_GRACE_MS.
    if (alive && this.inNative)
      await Promise.race([
        new Promise<void>((r) => {
          this.onQuiet = r;
        }),
        new Promise((r) => setTimeout(r, NATIVE_GRACE_MS).unref()),
      ]);
    await this.worker.terminate();
  }
}

function fromWire(w: WireTensor): Tensor {
  const datatype = fromOrtType(w.type);
  if (!datatype || !isFixedSize(datatype))
    throw new InferenceFailedError(`output ${w.name} has type ${w.type}`);
  return {
    name: w.name,
    datatype,
    shape: w.dims,
    data: new Uint8Array(w.buffer, w.byteOffset, w.byteLength),
  };
}

export class WorkerPool implements Runner {
  readonly place = 'worker' as const;
  private workers: SessionWorker[] = [];
  /** Being built by swapSessions, or replaced and finishing their runs: stopped with the pool. */
  private readonly aside = new Set<SessionWorker>();
  private stopped = false;
  private busyMs = 0;
  private info!: LoadedMessage;

  private injectDelayMs: number;
  /** The session options of the current workers (and of any replacement). */
  private session: SessionConfig;

  private constructor(private readonly opts: PoolOptions) {
    this.injectDelayMs = opts.injectDelayMs;
    this.session = opts.session;
  }

  /** Starts every instance and waits until all have loaded the model. */
  static async start(opts: PoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(opts);
    try {
      const infos = await Promise.all(Array.from({ length: opts.instances }, (_, i) => pool.spawn(i === 0)));
      pool.info = infos[0]!;
    } catch (err) {
      await pool.stop();
      throw err;
    }
    return pool;
  }

  /** What the session reports (inputs, outputs, the provider in use). */
  get loaded(): LoadedMessage {
    return this.info;
  }
  get instances(): number {
    return this.opts.instances;
  }
  /** The session options of the serving workers. */
  get sessionConfig(): SessionConfig {
    return this.session;
  }

  /** Runs that may be outstanding at once. */
  get slots(): number {
    return this.opts.instances * PIPELINE_DEPTH;
  }

  /** Whether a run is in hand anywhere, a worker being replaced by swapSessions included. */
  get busy(): boolean {
    for (const w of this.workers) if (w.outstanding > 0) return true;
    for (const w of this.aside) if (w.outstanding > 0) return true;
    return false;
  }

  /** Milliseconds with work in hand so far (for utilization), current runs included. */
  busyTime(now = performance.now()): number {
    let ms = this.busyMs;
    for (const w of this.workers) if (w.outstanding > 0) ms += now - w.busySince;
    return ms;
  }

  async run(inputs: readonly Tensor[], notAfter?: number): Promise<RunResult> {
    let w: SessionWorker | undefined;
    for (const x of this.workers)
      if (x.ready && !x.dead && x.outstanding < PIPELINE_DEPTH && (!w || x.outstanding < w.outstanding))
        w = x;
    if (!w) throw new InferenceFailedError('no free worker slot (more runs than slots)');
    if (w.outstanding++ === 0) w.busySince = performance.now();
    try {
      return await w.run(inputs, notAfter);
    } finally {
      if (--w.outstanding === 0) {
        this.busyMs += performance.now() - w.busySince;
        w.onIdle?.();
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const ws = [...this.workers, ...this.aside];
    this.workers = [];
    this.aside.clear();
    await Promise.all(ws.map((w) => w.terminate()));
  }

  /**
   * Loads every instance again with `session` in new workers, one at a time, and once all have
   * loaded swaps them in: runs already sent finish on the old sessions, which stop after their
   * last answer; later runs go to the new ones. A failure stops the new workers, keeps the old
   * and rejects. Undefined when the pool stopped meanwhile (nothing swapped).
   */
  async swapSessions(session: SessionConfig): Promise<LoadedMessage | undefined> {
    const fresh: SessionWorker[] = [];
    let info: LoadedMessage | undefined;
    try {
      for (let i = 0; i < this.opts.instances && !this.stopped; i++) {
        const w = this.newWorker();
        fresh.push(w);
        this.aside.add(w);
        const loaded = await w.load(this.loadMessage(session, false));
        info ??= loaded;
      }
    } catch (err) {
      if (!this.stopped) {
        for (const w of fresh) this.aside.delete(w);
        await Promise.all(fresh.map((w) => w.terminate()));
        throw err;
      }
    }
    if (this.stopped) return undefined; // stop() ended the fresh workers too
    const old = this.workers;
    for (const w of fresh) this.aside.delete(w);
    this.workers = fresh;
    this.session = session;
    this.info = info!;
    await Promise.all(old.map((w) => this.retire(w)));
    return this.info;
  }

  /** A replaced worker: out of the choice of run() already; stops after its last answer. */
  private async retire(w: SessionWorker): Promise<void> {
    this.aside.add(w);
    if (w.outstanding > 0 && !w.dead)
      await new Promise<void>((resolve) => {
        w.onIdle = resolve;
        w.worker.once('exit', () => resolve());
      });
    this.aside.delete(w);
    await w.terminate();
  }

  private newWorker(): SessionWorker {
    return new SessionWorker((dead, why) => this.replace(dead, why));
  }

  private loadMessage(session: SessionConfig, first: boolean): LoadMessage {
    const { optimizedPath, writeOptimized, mappedPath } = this.opts;
    return {
      type: 'load',
      modelPath: this.opts.modelPath,
      executionProvider: this.opts.executionProvider,
      session,
      injectDelayMs: this.injectDelayMs,
      ...(optimizedPath ? { optimizedPath } : {}),
      ...(mappedPath ? { mappedPath } : {}),
      // One writer: the file is written once, by the first instance.
      ...(writeOptimized && first ? { writeOptimized } : {}),
    };
  }

  private async spawn(first = false): Promise<LoadedMessage> {
    const w = this.newWorker();
    this.workers.push(w);
    return w.load(this.loadMessage(this.session, first));
  }

  /** The injected delay of later runs, in every worker (and in replacements). */
  setInjectDelay(ms: number): void {
    this.injectDelayMs = ms;
    for (const w of [...this.workers, ...this.aside])
      w.worker.postMessage({ type: 'set-delay', injectDelayMs: ms });
  }

  private replace(dead: SessionWorker, why: string): void {
    // One being built or replaced is not serving: its death is the swap's (or nobody's) concern.
    if (!this.workers.includes(dead)) return;
    this.workers = this.workers.filter((w) => w !== dead);
    if (this.stopped || !this.info) return;
    process.emitWarning(`session worker for ${this.opts.modelPath} died (${why}); starting another`);
    this.spawn().catch(() => undefined);
  }
}
