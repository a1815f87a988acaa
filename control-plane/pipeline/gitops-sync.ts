// The policy directory as a GitOps source of the store: what the files say is applied (as the
// principal `gitops:<dir>`), and a policy that came from a file which no longer holds it is
// deleted. Unchanged policies write nothing, so several replicas syncing one directory agree,
// and a write that loses a race is simply redone on the next change.

import { asSwitchyardError } from '../../kernel/errors/index.js';
import type { Logger } from '../../kernel/log/index.js';
import type { CallContext, PolicyService } from '../api/policy-service.js';
import { policyId, resolveOwners } from '../policy/index.js';
import type { StoredPolicy } from '../store/policy-record.js';
import type { PolicyDirectoryState } from './policy-directory.js';

export interface SyncReport {
  readonly applied: number;
  readonly deleted: number;
  readonly failed: number;
}

export async function syncDirectoryToStore(
  state: PolicyDirectoryState,
  stored: readonly StoredPolicy[],
  service: PolicyService,
  dir: string,
  log: Logger,
  /** Runs before every write; throws to refuse it (a replica that lost the lease). */
  guard?: () => Promise<void>,
): Promise<SyncReport> {
  const ctx: CallContext = {
    principal: { id: `gitops:${dir}`, kind: 'system', bindings: [{ role: 'admin', namespaces: ['*'] }] },
    from: 'local',
    via: 'gitops',
  };
  let applied = 0;
  let deleted = 0;
  let failed = 0;
  const wanted = new Set<string>();
  // Only each model's owner is applied (the store refuses a second policy for a model anyway):
  // the losers stay in their files, reported by the publisher like in directory-only mode.
  const owners = new Set(resolveOwners(state.policies.map((p) => p.route)).routes);
  for (const p of state.policies) {
    if (!owners.has(p.route)) {
      wanted.add(policyId(p.route));
      continue;
    }
    const { namespace, name } = p.route.metadata;
    wanted.add(`${namespace}/${name}`);
    try {
      await guard?.();
      const r = await service.apply(ctx, {
        document: p.route,
        source: 'gitops',
        file: p.source,
        reason: `synced from ${p.source}`,
      });
      if (r.outcome !== 'unchanged') applied++;
    } catch (err) {
      failed++;
      log.warn('GitOps apply failed; retried on the next change', {
        policy: `${namespace}/${name}`,
        error: asSwitchyardError(err).message,
      });
    }
  }
  for (const s of stored) {
    if (s.record.source !== 'gitops' || wanted.has(`${s.namespace}/${s.name}`)) continue;
    // Files with errors keep their last good policies: only a file that is gone, or that no
    // longer holds the policy, removes it.
    if (s.record.file && state.errors.some((e) => e.file === s.record.file)) continue;
    try {
      await guard?.();
      await service.delete(ctx, s.namespace, s.name, {
        reason: `removed from ${s.record.file ?? dir}`,
        expectedRevision: s.revision,
      });
      deleted++;
    } catch (err) {
      failed++;
      log.warn('GitOps delete failed; retried on the next change', {
        policy: `${s.namespace}/${s.name}`,
        error: asSwitchyardError(err).message,
      });
    }
  }
  return { applied, deleted, failed };
}
