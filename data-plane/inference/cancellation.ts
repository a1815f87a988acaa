// A caller going away, as cheaply as possible. AbortController costs an EventTarget per
// request and a DOMException per abort, which shows in profiles at thousands of requests per
// second; a request needs one listener at most (its place in a queue).
export class Cancellation {
  private cancelled = false;
  private listener: (() => void) | undefined;

  get aborted(): boolean {
    return this.cancelled;
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    const fn = this.listener;
    this.listener = undefined;
    fn?.();
  }

  /** Replaces any earlier listener. */
  onCancel(fn: (() => void) | undefined): void {
    this.listener = fn;
  }
}
