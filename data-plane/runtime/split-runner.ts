// A version whose largest batch runs too long for the main thread but whose small batches do not
// (run-placement.ts, placeSplit): a batch of at most `inlineRows` rows runs on a main-thread
// session, so a lone request skips the worker's hop, and a larger one goes to the worker. A small
// batch goes to the worker too while the worker has a run in hand: both sessions would compete for
// the same cores, and the worker's next run is already queued behind its current one.
import type { RunResult } from '../inference/batcher.js';
import type { Tensor } from '../tensors/tensor.js';
import type { InlineSession } from './inline-session.js';
import type { LoadedMessage } from './protocol.js';
import type { Runner } from './runner.js';
import type { WorkerPool } from './worker-pool.js';

export class SplitRunner implements Runner {
  readonly place = 'split' as const;

  constructor(
    private readonly inline: InlineSession,
    readonly workers: WorkerPool,
    readonly inlineRows: number,
  ) {}

  get loaded(): LoadedMessage {
    return this.workers.loaded;
  }
  get instances(): number {
    return this.workers.instances;
  }
  get slots(): number {
    return this.workers.slots;
  }

  busyTime(now = performance.now()): number {
    return this.inline.busyTime(now) + this.workers.busyTime(now);
  }

  run(inputs: readonly Tensor[], notAfter?: number): Promise<RunResult> {
    const rows = inputs[0]?.shape[0] ?? 1;
    if (rows <= this.inlineRows && !this.workers.busy) return this.inline.run(inputs, notAfter);
    return this.workers.run(inputs, notAfter);
  }

  setInjectDelay(ms: number): void {
    this.inline.setInjectDelay(ms);
    this.workers.setInjectDelay(ms);
  }

  async stop(): Promise<void> {
    await Promise.all([this.inline.stop(), this.workers.stop()]);
  }
}
