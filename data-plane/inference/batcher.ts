// Dynamic batching for one model version. Requests queue here; whenever a worker instance is
// free, the oldest request and every queued request that can join it (same non-batch shape,
// rows up to max_batch_size) go out as one run. While all instances are busy the queue fills,
// so batches grow exactly when load does and a lone request never waits for company (unless
// max_queue_delay_ms asks it to). Expired requests are dropped before they run; beyond
// queue_limit new requests are shed with a Retry-After estimate.
import {
  CancelledError,
  DeadlineExceededError,
  InferenceFailedError,
  ModelNotReadyError,
  OverloadedError,
} from '../errors.js';
import { concatRows, splitRows } from '../tensors/batch.js';
import type { RequestContext, Tensor } from '../tensors/tensor.js';
import type { RequestHooks } from '../tracing/hooks.js';

export interface RunResult {
  readonly outputs: readonly Tensor[];
  readonly computeMs: number;
}

/** Runs one (possibly merged) batch; `notAfter` (epoch ms) is its earliest deadline, if any. */
export type RunBatch = (inputs: readonly Tensor[], notAfter?: number) => Promise<RunResult>;

export interface BatcherOptions {
  readonly model: string;
  readonly version: string;
  /** 0: every request runs alone. */
  readonly maxBatchSize: number;
  readonly maxQueueDelayMs: number;
  readonly queueLimit: number;
  /** Runs that execute at once (worker instances). */
  readonly instances: number;
  /**
   * Runs that may be handed out at once (default: instances). Beyond `instances` a run waits in
   * a worker's inbox behind the current one, so it is handed out only for a full batch, and
   * only takes requests whose deadline leaves room for that wait.
   */
  readonly slots?: number;
  readonly now?: () => number;
}

export interface BatchEvents {
  /** A request left the queue for a run, after waiting this long. */
  dequeued?(waitMs: number): void;
  batch?(rows: number, requests: number, computeMs: number): void;
}

interface Job {
  readonly inputs: readonly Tensor[];
  readonly rows: number;
  readonly key: string;
  readonly deadline: number;
  readonly enqueuedAt: number;
  readonly resolve: (outputs: Tensor[]) => void;
  readonly reject: (err: Error) => void;
  /** Its listener is dropped when the job leaves the queue (a field, not a closure per job). */
  readonly cancellation: RequestContext['cancellation'];
  readonly hooks: RequestHooks | undefined;
}

export class Batcher {
  private queue: Job[] = [];
  private running = 0;
  private runningRequests = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private ewmaRunMs = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly now: () => number;

  constructor(
    private readonly opts: BatcherOptions,
    private readonly runBatch: RunBatch,
    private readonly events: BatchEvents = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  get queueDepth(): number {
    return this.queue.length;
  }
  /** Queued plus running requests. */
  get inFlight(): number {
    return this.queue.length + this.runningRequests;
  }
  get busyInstances(): number {
    return this.running;
  }

  submit(inputs: readonly Tensor[], rows: number, key: string, ctx: RequestContext): Promise<Tensor[]> {
    const { model, version, queueLimit } = this.opts;
    if (this.closed) return Promise.reject(new ModelNotReadyError(model, version, 'unloading'));
    if (ctx.cancellation?.aborted) return Promise.reject(new CancelledError());
    if (ctx.deadline <= this.now()) return Promise.reject(new DeadlineExceededError('before queueing'));
    if (this.queue.length >= queueLimit)
      return Promise.reject(new OverloadedError(model, version, queueLimit, this.retryAfterSeconds()));
    return new Promise<Tensor[]>((resolve, reject) => {
      const cancellation = ctx.cancellation;
      const job: Job = {
        inputs,
        rows,
        key,
        deadline: ctx.deadline,
        enqueuedAt: this.now(),
        resolve,
        reject,
        cancellation,
        hooks: ctx.hooks,
      };
      cancellation?.onCancel(() => {
        if (this.remove(job)) reject(new CancelledError());
      });
      this.queue.push(job);
      job.hooks?.queued();
      this.pump();
    });
  }

  /** Seconds until the queue has likely room again: what it holds, at the recent run time. */
  retryAfterSeconds(): number {
    const perRun = Math.max(1, this.opts.maxBatchSize);
    const runs = Math.ceil(this.queue.length / perRun);
    const ms = (runs * (this.ewmaRunMs || 10)) / Math.max(1, this.opts.instances);
    return Math.max(1, Math.ceil(ms / 1000));
  }

  /** Refuses new requests, then resolves once the queued and running ones are done. */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }

  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** notify=false when the job moves on to a run (it is still in flight). */
  private remove(job: Job, notify = true): boolean {
    const i = this.queue.indexOf(job);
    if (i < 0) return false;
    this.queue.splice(i, 1);
    job.cancellation?.onCancel(undefined);
    if (notify) this.notifyIdle();
    return true;
  }

  private pump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const slots = Math.max(this.opts.instances, this.opts.slots ?? 0);
    while (this.running < slots && this.queue.length > 0) {
      const jobs = this.take(this.running >= this.opts.instances);
      if (!jobs) break;
      if (jobs.length) this.dispatch(jobs);
    }
    this.notifyIdle();
  }

  /**
   * The next batch; [] when only expired requests were found; undefined to wait for more.
   * `behind`: the batch will wait for a running one, so requests that might expire meanwhile
   * stay queued (an expired request must never run), and it goes out only when full: anything
   * less waits for the running one to end and takes what arrives meanwhile too, as a
   * single-threaded server's next batch would (handed out at once, it was often one row, and a
   * model whose run costs about the same for 1 row as for 16 ran half its runs nearly empty:
   * docs/DATAPLANE.md, "Dynamic batching, load shedding, deadlines").
   */
  private take(behind: boolean): Job[] | undefined {
    const now = this.now();
    const notBefore = behind ? now + 2 * (this.ewmaRunMs || 10) : now;
    const { maxBatchSize, maxQueueDelayMs } = this.opts;
    const taken: Job[] = [];
    let rows = 0;
    let key: string | undefined;
    const limit = maxBatchSize > 0 ? maxBatchSize : 1;
    for (const job of this.queue) {
      if (job.deadline <= now) {
        taken.push(job);
        continue;
      }
      if (job.deadline <= notBefore) continue;
      if (key === undefined) key = job.key;
      else if (maxBatchSize === 0 || job.key !== key || rows + job.rows > limit) continue;
      taken.push(job);
      rows += job.rows;
      if (rows >= limit) break;
    }
    const expired = taken.filter((j) => j.deadline <= now);
    const live = taken.filter((j) => j.deadline > now);
    const head = live[0];
    if (behind && rows < limit) {
      for (const j of expired) this.fail(j, new DeadlineExceededError('while queued'));
      return undefined;
    }
    if (head && maxQueueDelayMs > 0 && rows < limit && now - head.enqueuedAt < maxQueueDelayMs) {
      for (const j of expired) this.fail(j, new DeadlineExceededError('while queued'));
      this.timer = setTimeout(() => this.pump(), head.enqueuedAt + maxQueueDelayMs - now);
      return undefined;
    }
    for (const j of expired) this.fail(j, new DeadlineExceededError('while queued'));
    for (const j of live) this.remove(j, false);
    return live;
  }

  private fail(job: Job, err: Error): void {
    this.remove(job);
    job.reject(err);
  }

  private dispatch(jobs: Job[]): void {
    const start = this.now();
    const rows: number[] = [];
    let totalRows = 0;
    let earliest = Number.POSITIVE_INFINITY;
    for (const j of jobs) {
      this.events.dequeued?.(start - j.enqueuedAt);
      rows.push(j.rows);
      totalRows += j.rows;
      if (j.deadline < earliest) earliest = j.deadline;
    }
    this.running++;
    this.runningRequests += jobs.length;
    for (const j of jobs) j.hooks?.dequeued(totalRows, jobs.length);
    let run: Promise<RunResult>;
    try {
      const inputs = jobs.length === 1 ? jobs[0]!.inputs : concatRows(jobs.map((j) => j.inputs));
      run = this.runBatch(inputs, Number.isFinite(earliest) ? earliest : undefined);
    } catch (err) {
      run = Promise.reject(err);
    }
    // One promise per run: the answer and the failure settle in the two callbacks of one then().
    // Unnamed arrows calling methods: a named closure per run also gets its `name` defined when
    // compiled with keepNames (the bundle is), a property write per run.
    run.then(
      (res) => {
        try {
          this.answer(jobs, rows, totalRows, res);
        } catch (err) {
          this.failed(jobs, err);
          return;
        }
        this.done(jobs);
      },
      (err) => this.failed(jobs, err),
    );
  }

  private done(jobs: readonly Job[]): void {
    this.running--;
    this.runningRequests -= jobs.length;
    this.pump();
  }

  private failed(jobs: readonly Job[], err: unknown): void {
    const e = err instanceof Error ? err : new InferenceFailedError(String(err));
    for (const j of jobs) j.reject(e);
    this.done(jobs);
  }

  private answer(jobs: readonly Job[], rows: readonly number[], totalRows: number, res: RunResult): void {
    this.ewmaRunMs = this.ewmaRunMs ? this.ewmaRunMs * 0.8 + res.computeMs * 0.2 : res.computeMs;
    this.events.batch?.(totalRows, jobs.length, res.computeMs);
    for (const j of jobs) j.hooks?.ran(res.computeMs);
    if (this.opts.maxBatchSize === 0) {
      jobs[0]!.resolve([...res.outputs]);
      return;
    }
    const parts = splitRows(res.outputs, rows);
    for (let k = 0; k < jobs.length; k++) jobs[k]!.resolve(parts[k]!);
  }

  private notifyIdle(): void {
    if (this.inFlight !== 0 || this.idleWaiters.length === 0) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
