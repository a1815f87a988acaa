// Sliding windows per model version and for the whole pod, fed by the serving path; read by
// the NATS agent for heartbeats.
import type { InferenceObserver, Outcome } from './observer.js';
import { isPodFailure } from './observer.js';
import { SlidingWindow, type WindowSummary } from './window.js';

export class PodStats implements InferenceObserver {
  private readonly perVersion = new Map<string, SlidingWindow>();
  private readonly all: SlidingWindow;
  /** Successful requests since start. */
  served = 0;

  constructor(
    private readonly windowMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {
    this.all = new SlidingWindow(windowMs);
  }

  queued(): void {}
  batch(): void {}

  finished(model: string, version: string, outcome: Outcome, latencyMs: number): void {
    // Client mistakes (unknown model, bad tensors), cancellations and drain refusals say
    // nothing about how well the pod serves, so they stay out of its error rate.
    const ok = outcome === 'success';
    if (ok) this.served++;
    if (!ok && !isPodFailure(outcome)) return;
    const now = this.now();
    this.all.record(now, latencyMs, ok);
    const key = `${model}/${version}`;
    let w = this.perVersion.get(key);
    if (!w) {
      w = new SlidingWindow(this.windowMs);
      this.perVersion.set(key, w);
    }
    w.record(now, latencyMs, ok);
  }

  pod(): WindowSummary {
    return this.all.summary(this.now());
  }

  version(model: string, version: string): WindowSummary {
    return (this.perVersion.get(`${model}/${version}`) ?? new SlidingWindow(this.windowMs)).summary(
      this.now(),
    );
  }

  forget(model: string, version: string): void {
    this.perVersion.delete(`${model}/${version}`);
  }
}
