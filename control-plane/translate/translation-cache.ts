// What the translator keeps between calls that is not keyed by an input object (those memos are
// WeakMaps and go with their inputs): shared sub-messages (durations, matchers, retry policies,
// outlier detection, circuit breakers; see proto.ts `shared`), the interned localities and the
// last gateway. Owned by the caller, which decides its lifetime (the snapshot publisher keeps one
// per flavor); a call without one gets a fresh cache, so translate() has no process-wide state
// that grows. Pure: no clock, no I/O. Bounded: sweep() drops every entry the builds since the
// previous sweep did not use, so pod churn (a locality per pod in proxyless gRPC) leaves only the
// live pods' entries and a removed model's sub-messages go with it.
import type { Locality } from '../../protos/gen/envoy/config/core/v3/base_pb.js';

/** The Envoy gateway's resources and the parts they were built from (see translator.ts). */
export interface GatewayMemo {
  readonly key: string;
  readonly parts: readonly object[];
  readonly routeConfig: unknown;
  readonly listener: unknown;
}

interface Entry {
  readonly value: unknown;
  /** The sweep generation that last used it. */
  used: number;
}

export class TranslationCache {
  // One map per kind and a generation stamp per entry: a lookup is one string hash, where a
  // combined `kind NUL key` string and a set of used keys cost three (a tenth of a full build).
  private kinds = new Map<string, Map<string, Entry>>();
  private generation = 0;
  gateway: GatewayMemo | undefined;

  /** The value of `build` for (kind, key), built once while it stays in use. */
  intern<T>(kind: string, key: string, build: () => T): T {
    let entries = this.kinds.get(kind);
    if (!entries) {
      entries = new Map();
      this.kinds.set(kind, entries);
    }
    const hit = entries.get(key);
    if (hit) {
      hit.used = this.generation;
      return hit.value as T;
    }
    const value = build();
    entries.set(key, { value, used: this.generation });
    return value;
  }

  /** One Locality object per (region, zone, sub-zone), so unchanged assignments share it. */
  locality(region: string, zone: string, subZone: string): Locality {
    return this.intern('locality', `${region}\u0000${zone}\u0000${subZone}`, () => ({
      $typeName: 'envoy.config.core.v3.Locality' as const,
      region,
      zone,
      subZone,
    }));
  }

  /**
   * Forget what was not used since the last sweep. An output memoized on its inputs keeps its
   * own sub-messages; one rebuilt later gets equal new ones (the same encoding).
   */
  sweep(): void {
    for (const entries of this.kinds.values())
      for (const [k, e] of entries) if (e.used !== this.generation) entries.delete(k);
    this.generation++;
  }

  /** Whether (kind, key) is held now (tests). */
  has(kind: string, key: string): boolean {
    return this.kinds.get(kind)?.has(key) ?? false;
  }

  /** Entries held now, and those of one kind (tests). */
  size(kind?: string): number {
    if (kind !== undefined) return this.kinds.get(kind)?.size ?? 0;
    let n = 0;
    for (const entries of this.kinds.values()) n += entries.size;
    return n;
  }
}
