// Sliding windows per model version and for the whole pod, fed by the serving path; read by
// the NATS agent for heartbeats.
import type { InferenceObserver, Outcome } from './observer.js';
import { isPodFailure } from './observer.js';
import { SlidingWindow, type WindowSummary } from './window.js';

export class PodStats implements InferenceObserver {
  /** By model, then version: no `model/version` string built per request. */
  private readonly perVersion = new Map<string, Map<string, SlidingWindow>>();
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
    let versions = this.perVersion.get(model);
    if (!versions) {
      versions = new Map();
      this.perVersion.set(model, versions);
    }
    let w = versions.get(version);
    if (!w) {
      w = new SlidingWindow(this.windowMs);
      versions.set(version, w);
    }
    w.record(now, latencyMs, ok);
  }

  pod(): WindowSummary {
    return this.all.summary(this.now());
  }

  version(model: string, version: string): WindowSummary {
    return (this.perVersion.get(model)?.get(version) ?? new SlidingWindow(this.windowMs)).summary(this.now());
  }

  forget(model: string, version: string): void {
    const versions = this.perVersion.get(model);
    versions?.delete(version);
    if (versions?.size === 0) this.perVersion.delete(model);
  }
}
