// What the batcher runs a version's batches on: a pool of session workers (worker-pool.ts), or
// one session run inline on the main thread (inline-session.ts) for a model whose runs are
// short enough, or both by batch size (split-runner.ts) (run-placement.ts; docs/DATAPLANE.md,
// "Runtime").
import type { RunResult } from '../inference/batcher.js';
import type { Tensor } from '../tensors/tensor.js';
import type { LoadedMessage } from './protocol.js';

/** 'split': small batches inline, larger ones on a worker (split-runner.ts). */
export type RunPlace = 'inline' | 'worker' | 'split';

export interface Runner {
  readonly place: RunPlace;
  /** What the session reports (inputs, outputs, the provider in use). */
  readonly loaded: LoadedMessage;
  /** Runs that execute at once. */
  readonly instances: number;
  /** Runs that may be outstanding at once. */
  readonly slots: number;
  /** Milliseconds with work in hand so far (for utilization), current runs included. */
  busyTime(now?: number): number;
  run(inputs: readonly Tensor[], notAfter?: number): Promise<RunResult>;
  /** The injected delay of later runs (tests). */
  setInjectDelay(ms: number): void;
  /** Stops the runner; a second call does nothing. */
  stop(): Promise<void>;
}
