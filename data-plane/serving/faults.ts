// Fault injection for tests and demos (docs/DATAPLANE.md, "Fault injection"): a share of the
// requests fails with InjectedFailureError after validation, so only requests that would have
// run are failed and each failure counts as a pod error in metrics and heartbeats. The delay
// (--inject-delay-ms) lives in the session workers, where the time is spent.
import { InjectedFailureError } from '../errors.js';

export class FaultInjector {
  /** The running total of the rate: a request fails each time it passes a whole number. */
  private owed = 0;

  constructor(private errorRate = 0) {
    this.setErrorRate(errorRate);
  }

  /** 0..1; anything else is a programming error (the CLI checks the flag). */
  setErrorRate(rate: number): void {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`error rate ${rate} is not in 0..1`);
    this.errorRate = rate;
    this.owed = 0;
  }

  get rate(): number {
    return this.errorRate;
  }

  /**
   * Throws for the chosen share of calls, spread evenly rather than drawn at random: 0.2 fails
   * every fifth call. A rollout gate judges a few dozen requests per sample, where a random draw
   * at 20 % lands under 10 % about one time in thirty; an even spread gives every window the share
   * it was given (within one call), so a demo or test sees what it asked for.
   */
  check(model: string, version: string): void {
    if (this.errorRate === 0) return;
    this.owed += this.errorRate;
    if (this.owed >= 1 - 1e-9) {
      this.owed -= 1;
      throw new InjectedFailureError(model, version, this.errorRate);
    }
  }
}
