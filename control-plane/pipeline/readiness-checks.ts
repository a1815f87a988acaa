// The control plane's readiness checks (docs/OPERATIONS.md, "Liveness and readiness"): started,
// store reachable, lease state known, a snapshot published for every node group. The composition
// root hands in what it owns; each check reads it when /readyz asks.
import type { NatsConnection } from '@nats-io/transport-node';
import type { CheckResult, ReadinessCheck } from '../admin/readiness.js';
import type { PolicyStore } from '../store/policy-store.js';
import type { SnapshotCache } from '../xds/cache/snapshot-cache.js';
import { PUBLISHED_GROUPS } from './snapshot-publisher.js';

export interface ReadinessSources {
  readonly started: () => boolean;
  readonly store: () => { store: PolicyStore; nc: NatsConnection } | undefined;
  readonly lease: () => CheckResult;
  readonly cache: SnapshotCache;
}

/** A replica with a lease: ready once it has read the lease and knows whether it leads. */
export function leaseCheck(lease: { isLeaseKnown(): boolean; isHeld(): boolean }): () => CheckResult {
  return () =>
    lease.isLeaseKnown()
      ? { ok: true, detail: lease.isHeld() ? 'leader' : 'follower' }
      : { ok: false, detail: 'leader lease not read yet' };
}

/** Without a lease (one replica, or no leader election) the role is known: every replica does its own. */
export const NO_LEASE: () => CheckResult = () => ({ ok: true, detail: 'no lease: not elected' });

/** One JetStream round trip (the policy bucket's status), so a partitioned replica says so. */
async function storeReachable(s: ReturnType<ReadinessSources['store']>): Promise<CheckResult> {
  if (!s) return { ok: true, detail: 'no store: the policy directory only' };
  if (s.nc.isClosed()) return { ok: false, detail: 'the NATS connection is closed' };
  try {
    await s.store.kv.status();
    return { ok: true, detail: `connected to ${s.nc.getServer()}` };
  } catch (err) {
    return { ok: false, detail: `JetStream does not answer: ${(err as Error).message}` };
  }
}

export function readinessChecks(src: ReadinessSources): ReadinessCheck[] {
  return [
    { name: 'started', check: () => (src.started() ? { ok: true } : { ok: false, detail: 'starting' }) },
    { name: 'store', check: () => storeReachable(src.store()) },
    { name: 'lease', check: () => src.lease() },
    {
      name: 'snapshot',
      check: () => {
        const missing = PUBLISHED_GROUPS.filter((g) => !src.cache.get(g));
        return missing.length
          ? { ok: false, detail: `no snapshot published for ${missing.join(', ')}` }
          : { ok: true };
      },
    },
  ];
}
