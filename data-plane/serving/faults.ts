// Fault injection for tests and demos (docs/DATAPLANE.md, "Fault injection"): a share of the
// requests fails with InjectedFailureError after validation, so only requests that would have
// run are failed and each failure counts as a pod error in metrics and heartbeats. The delay
// (--inject-delay-ms) lives in the session workers, where the time is spent.
import { InjectedFailureError } from '../errors.js';

export class FaultInjector {
  constructor(
    private errorRate = 0,
    private readonly random: () => number = Math.random,
  ) {
    this.setErrorRate(errorRate);
  }

  /** 0..1; anything else is a programming error (the CLI checks the flag). */
  setErrorRate(rate: number): void {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`error rate ${rate} is not in 0..1`);
    this.errorRate = rate;
  }

  get rate(): number {
    return this.errorRate;
  }

  /** Throws for the chosen share of calls. */
  check(model: string, version: string): void {
    if (this.errorRate > 0 && this.random() < this.errorRate)
      throw new InjectedFailureError(model, version, this.errorRate);
  }
}
