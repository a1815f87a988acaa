// Durations as operators write them (`250ms`, `1s`, `1m30s`, `1.5h`), the Go/Envoy spelling.
// Kept as text in the policy (what the operator wrote round-trips) and turned into
// nanoseconds only where a number is needed.

const PART = /(\d+(?:\.\d+)?)(ms|us|h|m|s)/y;
const UNIT_NS: Record<string, number> = { h: 3_600e9, m: 60e9, s: 1e9, ms: 1e6, us: 1e3 };

/** Nanoseconds for a duration string, or undefined when it is not one. */
export function parseDurationNs(text: string): number | undefined {
  if (text.length === 0) return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const at = PART.lastIndex;
    const m = PART.exec(text);
    if (!m || m.index !== at) return undefined;
    total += Number(m[1]) * UNIT_NS[m[2]!]!;
  }
  return Math.round(total);
}

/** Milliseconds for a duration already validated by the policy checker. */
export function durationMs(text: string): number {
  const ns = parseDurationNs(text);
  if (ns === undefined) throw new TypeError(`not a duration: ${JSON.stringify(text)}`);
  return ns / 1e6;
}
