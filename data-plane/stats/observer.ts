// What the serving path reports as requests move: queue wait, batches, outcomes. Metrics
// (Prometheus) and the heartbeat windows both listen; the serving code knows neither.
import type { ErrorCode } from '../../kernel/errors/codes.js';

export type Outcome =
  | 'success'
  | 'invalid'
  | 'not_found'
  | 'shed'
  | 'deadline'
  | 'draining'
  | 'cancelled'
  | 'unavailable'
  | 'error';

export interface InferenceObserver {
  queued(model: string, version: string, waitMs: number): void;
  batch(model: string, version: string, rows: number, requests: number, computeMs: number): void;
  finished(model: string, version: string, outcome: Outcome, latencyMs: number): void;
}

/** The outcome label for an error code. */
export function outcomeOf(code: ErrorCode | undefined): Outcome {
  switch (code) {
    case undefined:
      return 'success';
    case 'SY_INFER_INVALID':
    case 'SY_PAYLOAD_TOO_LARGE':
      return 'invalid';
    case 'SY_MODEL_NOT_FOUND':
      return 'not_found';
    case 'SY_OVERLOADED':
      return 'shed';
    case 'SY_DEADLINE_EXCEEDED':
      return 'deadline';
    case 'SY_DRAINING':
      return 'draining';
    case 'SY_MODEL_NOT_READY':
      return 'unavailable';
    case 'SY_UNAVAILABLE':
      return 'cancelled';
    default:
      return 'error';
  }
}

/** Failures that count against the pod's error rate (the client's own mistakes do not). */
export function isPodFailure(o: Outcome): boolean {
  return o === 'shed' || o === 'deadline' || o === 'error' || o === 'unavailable';
}

export class FanOutObserver implements InferenceObserver {
  constructor(private readonly targets: readonly InferenceObserver[]) {}
  queued(model: string, version: string, waitMs: number): void {
    for (const t of this.targets) t.queued(model, version, waitMs);
  }
  batch(model: string, version: string, rows: number, requests: number, computeMs: number): void {
    for (const t of this.targets) t.batch(model, version, rows, requests, computeMs);
  }
  finished(model: string, version: string, outcome: Outcome, latencyMs: number): void {
    for (const t of this.targets) t.finished(model, version, outcome, latencyMs);
  }
}
