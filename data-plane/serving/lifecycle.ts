// The pod's phase and its admission gate. Every request the servers accept holds a ticket from
// enter() until its response is written, so the drain sequence knows exactly when nothing is
// in flight any more.
//
//   starting -> serving -> draining (health NOT_SERVING, still admitting: proxies are still
//   routing here) -> refusing (new requests get UNAVAILABLE) -> stopped
import { DrainingError } from '../errors.js';

export type PodPhase = 'starting' | 'serving' | 'draining' | 'refusing' | 'stopped';

export class Lifecycle {
  private current: PodPhase = 'starting';
  private inFlight = 0;
  private readonly listeners = new Set<(p: PodPhase) => void>();
  private idleWaiters: Array<() => void> = [];

  get phase(): PodPhase {
    return this.current;
  }
  /** Health checks and ServerReady: true only while serving normally. */
  get ready(): boolean {
    return this.current === 'serving';
  }
  get inFlightRequests(): number {
    return this.inFlight;
  }

  setPhase(p: PodPhase): void {
    if (p === this.current) return;
    this.current = p;
    for (const fn of this.listeners) fn(p);
  }

  onPhase(fn: (p: PodPhase) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Admits a request or throws DrainingError; call the returned function when it is answered. */
  enter(): () => void {
    if (this.current === 'refusing' || this.current === 'stopped') throw new DrainingError();
    this.inFlight++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inFlight--;
      if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    };
  }

  /** Resolves when no admitted request is left unanswered. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
