// A failure that repeats on a timer (a loop that ticks four times a second while its store is
// down): its first occurrence is logged at once, the rest of each interval only counted and
// summed up in the next line, and the first success after it says how many there were. An
// outage of a minute then writes a few lines instead of hundreds, and its end is visible.
import { LogThrottle } from './log-throttle.js';
import type { LogFields, Logger } from './logger.js';

export class RepeatedFailures {
  private readonly throttle: LogThrottle;
  /** Failures since the last success, per key. */
  private readonly open = new Map<string, number>();

  constructor(
    private readonly log: Logger,
    intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.throttle = new LogThrottle(intervalMs);
  }

  /** One failure of `key`: a warning now, or counted into the next one. */
  failed(key: string, msg: string, fields: LogFields): void {
    this.open.set(key, (this.open.get(key) ?? 0) + 1);
    const line = this.throttle.event(key, this.now());
    if (line) this.log.warn(msg, line.suppressed ? { ...fields, suppressed: line.suppressed } : fields);
  }

  /** `key` worked: after failures, one line that says so and how many failed. */
  succeeded(key: string, msg: string, fields: LogFields = {}): void {
    const failures = this.open.get(key);
    if (failures === undefined) return;
    this.open.delete(key);
    this.throttle.forget(key);
    this.log.info(msg, { ...fields, failures });
  }
}
