// What the translator keeps between calls that is not keyed by an input object (those memos are
// WeakMaps and go with their inputs): the interned localities and the last gateway. Owned by the
// caller, which decides its lifetime (the snapshot publisher keeps one per flavor); a call
// without one gets a fresh cache, so translate() has no process-wide state that grows.
// Pure: no clock, no I/O. Bounded: sweep() drops every locality the builds since the previous
// sweep did not use, so pod churn (a locality per pod in proxyless gRPC) leaves only the live ones.
import type { Locality } from '../../protos/gen/envoy/config/core/v3/base_pb.js';

/** The Envoy gateway's resources and the parts they were built from (see translator.ts). */
export interface GatewayMemo {
  readonly key: string;
  readonly parts: readonly object[];
  readonly routeConfig: unknown;
  readonly listener: unknown;
}

export class TranslationCache {
  private localities = new Map<string, Locality>();
  private used = new Set<string>();
  gateway: GatewayMemo | undefined;

  /** One Locality object per (region, zone, sub-zone), so unchanged assignments share it. */
  locality(region: string, zone: string, subZone: string): Locality {
    const key = `${region}\u0000${zone}\u0000${subZone}`;
    this.used.add(key);
    let l = this.localities.get(key);
    if (!l) {
      l = { $typeName: 'envoy.config.core.v3.Locality', region, zone, subZone };
      this.localities.set(key, l);
    }
    return l;
  }

  /**
   * Forget localities not used since the last sweep. An assignment memoized on its inputs keeps
   * its own Locality objects; one rebuilt later gets an equal new one (same encoding).
   */
  sweep(): void {
    for (const k of this.localities.keys()) if (!this.used.has(k)) this.localities.delete(k);
    this.used = new Set();
  }

  /** Interned localities held now (tests). */
  get size(): number {
    return this.localities.size;
  }
}
