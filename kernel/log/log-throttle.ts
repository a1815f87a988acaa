// Bounds how many lines one kind of repeated event writes: the first of each key is logged at
// once, the rest of an interval are counted and summed up in the next line of that key (or by
// flush). A flood of junk messages therefore costs a few lines per interval instead of one
// line each, while the metric next to it still counts every one. Pure: time is passed in.

export interface ThrottledLine {
  readonly key: string;
  /** Events of this key not logged since the last line (0 for the first). */
  readonly suppressed: number;
}

interface KeyState {
  lastAt: number;
  suppressed: number;
}

export class LogThrottle {
  private readonly keys = new Map<string, KeyState>();

  /** `maxKeys` bounds memory when keys come from the outside (a pod id, a subject). */
  constructor(
    private readonly intervalMs: number,
    private readonly maxKeys = 1000,
  ) {}

  /** One event of `key` at `nowMs`: the line to write now, or undefined when it is counted. */
  event(key: string, nowMs: number): ThrottledLine | undefined {
    const st = this.keys.get(key);
    if (st && nowMs - st.lastAt < this.intervalMs) {
      st.suppressed++;
      return undefined;
    }
    const suppressed = st?.suppressed ?? 0;
    if (!st && this.keys.size >= this.maxKeys) this.evictOld(nowMs);
    this.keys.set(key, { lastAt: nowMs, suppressed: 0 });
    return { key, suppressed };
  }

  /** Forgets `key`: its next event is logged at once (the condition it counted has ended). */
  forget(key: string): void {
    this.keys.delete(key);
  }

  /** Keys whose interval has passed with events still uncounted in a line: report them now. */
  flush(nowMs: number): ThrottledLine[] {
    const out: ThrottledLine[] = [];
    for (const [key, st] of this.keys)
      if (st.suppressed > 0 && nowMs - st.lastAt >= this.intervalMs) {
        out.push({ key, suppressed: st.suppressed });
        st.suppressed = 0;
        st.lastAt = nowMs;
      }
    return out;
  }

  private evictOld(nowMs: number): void {
    for (const [key, st] of this.keys)
      if (st.suppressed === 0 && nowMs - st.lastAt >= this.intervalMs) this.keys.delete(key);
    // Still full: forget the oldest; at worst it logs one extra line later.
    if (this.keys.size >= this.maxKeys) this.keys.delete(this.keys.keys().next().value!);
  }
}
