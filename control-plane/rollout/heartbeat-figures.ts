// Heartbeats to per-version figures. A pod reports, per model+version, either per-interval
// counters (requests, errors, latency histogram, mirror comparisons since its previous
// heartbeat) or only its sliding-window summary. Counters are summed over every heartbeat since
// the last take(); without them the latest window summary of each pod stands in (its counts
// cover the pod's window, e.g. 10 s, and its p99 is taken as is). docs/ROLLOUTS.md says which.
import { NO_FIGURES, sumFigures, type VersionFigures } from './figures.js';

type Count = bigint | number;

/** The parts of a pod's ModelLoad entry this reads (structural, so older pods fit too). */
export interface ModelLoadFigures {
  readonly model: string;
  readonly version: string;
  readonly window?: {
    readonly requests: Count;
    readonly errors: Count;
    readonly p99Ms: number;
    readonly p50Ms?: number;
  };
  readonly intervalRequests?: Count;
  readonly intervalErrors?: Count;
  readonly latencyBucketCounts?: readonly Count[];
  readonly mirrorCompared?: Count;
  readonly mirrorAgreed?: Count;
}

interface PodVersion {
  /** Interval counters accumulated since the last take. */
  pending: VersionFigures[];
  /** The latest window summary, used when the pod sends no interval counters. */
  window?: VersionFigures;
}

const num = (c: Count | undefined): number => Number(c ?? 0);

function hasCounters(m: ModelLoadFigures): boolean {
  return m.intervalRequests !== undefined || (m.latencyBucketCounts?.length ?? 0) > 0;
}

export class HeartbeatFigures {
  /** key `${model}\u0000${version}` -> pod -> figures. */
  private readonly byVersion = new Map<string, Map<string, PodVersion>>();

  private slot(model: string, version: string, pod: string): PodVersion {
    const key = `${model}\u0000${version}`;
    let pods = this.byVersion.get(key);
    if (!pods) {
      pods = new Map();
      this.byVersion.set(key, pods);
    }
    let s = pods.get(pod);
    if (!s) {
      s = { pending: [] };
      pods.set(pod, s);
    }
    return s;
  }

  record(podId: string, models: readonly ModelLoadFigures[]): void {
    for (const m of models) {
      const s = this.slot(m.model, m.version, podId);
      if (hasCounters(m)) {
        s.window = undefined;
        s.pending.push({
          requests: num(m.intervalRequests),
          errors: num(m.intervalErrors),
          latencyBuckets: (m.latencyBucketCounts ?? []).map(num),
          ...(m.mirrorCompared !== undefined
            ? { mirrorCompared: num(m.mirrorCompared), mirrorAgreed: num(m.mirrorAgreed) }
            : {}),
        });
      } else if (m.window) {
        s.window = {
          requests: num(m.window.requests),
          errors: num(m.window.errors),
          latencyBuckets: [],
          p99Ms: m.window.p99Ms,
          ...(m.window.p50Ms !== undefined ? { p50Ms: m.window.p50Ms } : {}),
        };
      }
    }
  }

  /** A pod that left: its figures stop counting. */
  forget(podId: string): void {
    for (const pods of this.byVersion.values()) pods.delete(podId);
  }

  /** Drops every interval counter received so far (windows are states and stay). */
  dropCounters(): void {
    for (const pods of this.byVersion.values()) for (const s of pods.values()) s.pending = [];
  }

  /** The version's figures since the previous take (counters) or as of now (windows). */
  take(model: string, version: string): VersionFigures {
    const pods = this.byVersion.get(`${model}\u0000${version}`);
    if (!pods) return NO_FIGURES;
    const parts: VersionFigures[] = [];
    for (const s of pods.values()) {
      parts.push(...s.pending);
      s.pending = [];
      if (s.window) parts.push(s.window);
    }
    return parts.length === 0 ? NO_FIGURES : sumFigures(parts);
  }
}
