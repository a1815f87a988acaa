// Which store revision of each policy the current snapshots were built from. A publish takes its
// inputs at one instant (routes and their revisions together), so "revision 7 is published" means
// the snapshots now served carry revision 7 or a later one, never an older one still in flight.
import { policyId } from '../policy/index.js';
import type { ModelRoute } from '../policy/types.js';
import type { StoredPolicy } from '../store/policy-record.js';

/**
 * Stored policies by their store revision; without a store, the policy directory's routes, each
 * as revision 0 (what the API shows for them).
 */
export function revisionsOf(policies: readonly (StoredPolicy | ModelRoute)[]): Map<string, number> {
  return new Map(
    policies.map((p) => ('revision' in p ? [`${p.namespace}/${p.name}`, p.revision] : [policyId(p), 0])),
  );
}

export class PublishedRevisions {
  private revisions: ReadonlyMap<string, number> = new Map();

  /**
   * After each finished publish, with the revisions its inputs held. A publish that some group
   * refused (it keeps its previous snapshot) proves nothing about what is served: not recorded.
   */
  record(revisions: ReadonlyMap<string, number> | undefined, ok: boolean): void {
    if (revisions && ok) this.revisions = revisions;
  }

  /** The revision of `namespace/name` in the snapshots served now; undefined when none is. */
  of(namespace: string, name: string): number | undefined {
    return this.revisions.get(`${namespace}/${name}`);
  }
}
