// Coalesces bursts of change events into one action: it runs after `quietMs` without a new
// event, or `maxMs` after the first event of a burst at the latest (Istio's PILOT_DEBOUNCE_AFTER
// and PILOT_DEBOUNCE_MAX: 100 ms and 10 s), so a flood of edits cannot starve pushes forever.
export interface DebounceOptions {
  readonly quietMs: number;
  readonly maxMs: number;
  readonly run: () => void;
  /** Called after each run with the number of events it absorbed beyond the first. */
  readonly onSaved?: (saved: number) => void;
}

export class Debouncer {
  private quietTimer: NodeJS.Timeout | undefined;
  private maxTimer: NodeJS.Timeout | undefined;
  private events = 0;
  private closed = false;

  constructor(private readonly opts: DebounceOptions) {
    if (!(opts.quietMs >= 0 && opts.maxMs >= opts.quietMs))
      throw new RangeError(`debounce: need 0 <= quiet (${opts.quietMs}) <= max (${opts.maxMs})`);
  }

  trigger(): void {
    if (this.closed) return;
    this.events++;
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => this.flush(), this.opts.quietMs);
    this.maxTimer ??= setTimeout(() => this.flush(), this.opts.maxMs);
  }

  /** Run now if anything is pending. */
  flush(): void {
    if (this.quietTimer) clearTimeout(this.quietTimer);
    if (this.maxTimer) clearTimeout(this.maxTimer);
    this.quietTimer = this.maxTimer = undefined;
    if (this.events === 0) return;
    const saved = this.events - 1;
    this.events = 0;
    this.opts.run();
    if (saved > 0) this.opts.onSaved?.(saved);
  }

  get pending(): boolean {
    return this.events > 0;
  }

  close(): void {
    this.closed = true;
    if (this.quietTimer) clearTimeout(this.quietTimer);
    if (this.maxTimer) clearTimeout(this.maxTimer);
  }
}
